"""Errors a person should read: each carries one clear sentence, never a secret."""


class AfinaError(Exception):
    """Something the user can fix; the CLI prints `message` and exits non-zero."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadInput(AfinaError):
    """The input cannot be used as given (empty, malformed, unknown id)."""


class NotFound(AfinaError):
    """A reply, example, run or version id that does not exist."""


class Repeated(Exception):
    """A platform delivered a message again (a retry); it was answered the first time.

    Not an `AfinaError`: nobody should be told anything, the channel just stays quiet."""

    def __init__(self, delivery_key: str) -> None:
        super().__init__(f"delivery {delivery_key} was already handled")
        self.delivery_key = delivery_key
