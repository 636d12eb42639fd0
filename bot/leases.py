"""Named leases a process holds: one holder at a time across processes and hosts.

A lease is a row (`bot.store.leases`) with an owner and an expiry, taken by
compare-and-set, so two processes never both win. The owner is
`host:pid:tag`: a lease whose owner died on this host (its pid is gone) is taken
over at once; one held from another host only once it expires, so a holder
renews a lease it keeps through long work. Retraining holds `tuning` while it
steps a run and `retrain` while it decides a tick (`tuning.runs`,
`tuning.schedule`); `afina status` shows who holds what.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from datetime import timedelta

from sqlalchemy.engine import Engine

from bot import store
from bot.db import session_scope
from bot.tables import utcnow

logger = logging.getLogger(__name__)


def new_owner() -> str:
    """This process, as a lease owner: its host and pid say whether it still lives."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Leases:
    """The leases one owner (this process, by default) takes, renews and gives up."""

    def __init__(self, engine: Engine, owner: str | None = None) -> None:
        self.engine = engine
        self.owner = owner or new_owner()

    def take(self, name: str, *, ttl: timedelta) -> bool:
        """Hold the named lease for `ttl`, or take it over from an owner that died on this host."""
        until = utcnow() + ttl
        with session_scope(self.engine) as session:
            if store.take_lease(session, name=name, owner=self.owner, until=until):
                return True
            lease = store.get_lease(session, name=name)
            holder = lease.owner if lease else None
        if holder is None or not dead_here(holder):
            return False
        logger.info("taking over the %s lease from %s, which is gone", name, holder)
        with session_scope(self.engine) as session:
            return store.take_lease(
                session, name=name, owner=self.owner, until=until, replace=holder
            )

    def renew(self, name: str, *, ttl: timedelta) -> bool:
        """Hold a lease we have for `ttl` more (no take-over); whether we still hold it."""
        with session_scope(self.engine) as session:
            return store.take_lease(session, name=name, owner=self.owner, until=utcnow() + ttl)

    def drop(self, name: str) -> None:
        """Give the lease up, if we hold it."""
        with session_scope(self.engine) as session:
            store.drop_lease(session, name=name, owner=self.owner)


def dead_here(owner: str) -> bool:
    """Whether a lease owner ran on this host and its process no longer exists."""
    try:
        host, pid, _tag = owner.rsplit(":", 2)
        number = int(pid)
    except ValueError:
        return False
    if host != socket.gethostname():
        return False
    try:
        os.kill(number, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False
