"""An event is acknowledged to Slack only once the person's message is stored.

Bolt answers 200 as soon as it has handed an event to a listener; a process killed
between that 200 and the question's commit would lose the message, and Slack never
sends an acknowledged event again. So the listeners' matcher notes each event it
takes (`expect`, on the request's own thread, before bolt answers), the listener says
when the message is stored or turned out to need nothing (`done`), and the HTTP route
waits for that, at most `STORE_WAIT_S` (Slack allows 3 s), before it answers. Not
stored by then: 503, so Slack delivers it again (a repeat of a stored question is
dropped while it is being answered, and answered late if its process died).
"""

from __future__ import annotations

import threading
import weakref

from slack_bolt import App

STORE_WAIT_S = 2.0


class Receipts:
    """Events taken by a listener, until their message is stored."""

    def __init__(self) -> None:
        self._taken: dict[str, threading.Event] = {}
        self._lock = threading.Lock()

    def expect(self, event_id: object) -> bool:
        """A listener takes this event (a bolt matcher: always True)."""
        if event_id:
            with self._lock:
                self._taken.setdefault(str(event_id), threading.Event())
        return True

    def done(self, event_id: object) -> None:
        """The event's message is stored (or needed nothing): it may be acknowledged."""
        if not event_id:
            return
        with self._lock:
            taken = self._taken.pop(str(event_id), None)
        if taken is not None:
            taken.set()

    def stored(self, event_id: object, timeout: float = STORE_WAIT_S) -> bool:
        """Whether the event may be acknowledged: nothing was taken, or it is stored now."""
        if not event_id:
            return True
        with self._lock:
            taken = self._taken.get(str(event_id))
        if taken is None or taken.wait(timeout):
            return True
        with self._lock:
            self._taken.pop(str(event_id), None)
        return False


_OF: weakref.WeakKeyDictionary[App, Receipts] = weakref.WeakKeyDictionary()


def receipts_of(app: App) -> Receipts:
    """The receipts of one bolt app (its listeners and its route share them)."""
    found = _OF.get(app)
    if found is None:
        found = _OF[app] = Receipts()
    return found
