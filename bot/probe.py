"""Knocking on a service's door for `afina doctor`: one short HTTP request, nothing quoted.

A failed request is summarised (connection refused, no answer, HTTP 401) instead
of quoting the exception, whose text can hold a URL (Telegram puts the token in
every URL) or a server's echo of the key. Redirects are reported, not followed:
urllib would carry the key to the new host.
"""

from __future__ import annotations

import http.client
import json
import socket
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Heard:
    """What a service answered: any HTTP status, and the start of its body."""

    status: int
    body: bytes

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return None


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def request(
    url: str,
    *,
    timeout_s: float,
    headers: dict[str, str] | None = None,
    method: str = "GET",
) -> Heard | str:
    """What the service answered, or a short phrase saying why nothing came."""
    asked = urllib.request.Request(url, headers=headers or {}, method=method)
    try:
        with _opener.open(asked, timeout=timeout_s) as response:
            return Heard(int(response.status), response.read(1 << 20))
    except urllib.error.HTTPError as exc:
        return Heard(int(exc.code), exc.read(1 << 20))
    except urllib.error.URLError as exc:
        return why(exc.reason, timeout_s)
    except (OSError, http.client.HTTPException, ValueError) as exc:
        return why(exc, timeout_s)


def why(reason: object, timeout_s: float) -> str:
    """What went wrong, in words that hold nothing from the request."""
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused"
    if isinstance(reason, TimeoutError):
        return f"no answer within {timeout_s:g} s"
    if isinstance(reason, socket.gaierror):
        return "host name not found"
    if isinstance(reason, ssl.SSLError):
        return "TLS handshake failed"
    if isinstance(reason, ConnectionResetError | http.client.RemoteDisconnected):
        return "connection closed without an answer"
    if isinstance(reason, OSError) and "timed out" in str(reason):
        return f"no answer within {timeout_s:g} s"
    return f"unreachable ({type(reason).__name__})"
