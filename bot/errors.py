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


class NotSaved(AfinaError):
    """The person's message could not be stored (the database is down): they must send it again.

    Never "your message is saved" unless it was."""

    def __init__(self) -> None:
        super().__init__(
            "Sorry, I can't take messages right now and yours was not saved: please send it "
            "again in a few minutes. / Perdona, ahora mismo no puedo recibir mensajes y el "
            "tuyo no se ha guardado: envíamelo de nuevo en unos minutos."
        )


class SavedNotAnswered(AfinaError):
    """The message is stored but its answer could not be: it is answered later (`bot.recovery`)."""

    def __init__(self) -> None:
        super().__init__(
            "Sorry, something went wrong on my side. Your message is saved and I'll answer "
            "here as soon as I can. / Perdona, algo ha fallado por mi parte. Tu mensaje está "
            "guardado y te responderé aquí en cuanto pueda."
        )


class TakenOver(Repeated):
    """Another process took this question over (our claim lapsed): it answers, we stay quiet."""
