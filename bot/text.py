"""Cleaning what people type, and the normal form used for dedupe hashes."""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from bot.errors import BadInput

# C0/C1 control characters except tab and newline; they break terminals and JSONL.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b\u2028\u2029\ufeff]")
_SPACES = re.compile(r"[ \t]+")
_WORDS = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class CleanText:
    text: str
    truncated: bool = False
    original_chars: int = 0


def clean_message(raw: str | None, *, max_chars: int) -> CleanText:
    """Strip control characters and outer space; refuse empty text; cut text over the limit."""
    text = _CONTROL.sub("", unicodedata.normalize("NFC", raw or "")).strip()
    text = "\n".join(_SPACES.sub(" ", line).rstrip() for line in text.splitlines())
    if not text:
        raise BadInput("The message is empty: write a question or a sentence.")
    if len(text) > max_chars:
        return CleanText(text[:max_chars].rstrip(), truncated=True, original_chars=len(text))
    return CleanText(text, original_chars=len(text))


def fold(text: str) -> str:
    """Lower-case, accent-free text: `¿Qué tal?` and `que tal` compare equal."""
    if text.isascii():  # the common case, and ten times cheaper
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def words(text: str) -> list[str]:
    return _WORDS.findall(fold(text))


# Little words that mostly Spanish uses (folded): enough to pick the language of a reply
# to a question, where the two languages a shop speaks are Spanish and English.
_SPANISH = frozenset(
    {
        "que", "como", "cuanto", "cuanta", "donde", "cuando", "el", "la", "los", "las", "es",
        "hola", "tienes", "puedo", "para", "por", "envio", "gracias", "quiero", "hay",
        "de", "mi", "un", "una", "vuestro", "vuestra", "buenas", "se",
        "q", "pa", "xq", "porfa",  # as a chat writes them ("q hora abris?")
        "envios", "tiene", "tienen", "puedes", "esta", "estan", "cual", "con", "del",
    }
)  # fmt: skip
# A verb said to "vosotros" (hacéis, tenéis, vendéis) reads as Spanish typed without its
# accent too: hardly an English word ends so ("abrís" does not tell, "this" ends the same).
_VOSOTROS = re.compile(r"^[a-z]{3,}(?:ais|eis)$")


def looks_spanish(text: str) -> bool:
    """Whether a text reads as Spanish rather than English (an opening ¿ or ¡ is enough)."""
    tokens = words(text)
    return (
        "¿" in text
        or "¡" in text
        or sum(t in _SPANISH or bool(_VOSOTROS.match(t)) for t in tokens)
        >= max(1, len(tokens) // 5)
    )


# ... and that only English uses: for a short text that may read as neither.
_ENGLISH = frozenset(
    {
        "the", "you", "your", "we", "our", "yes", "is", "are", "it", "and", "of", "to",
        "for", "with", "from", "this", "that", "can", "do", "does", "have", "has", "will",
    }
)  # fmt: skip


def looks_english(text: str) -> bool:
    """Whether a text holds English's little words (and reads no more as Spanish)."""
    tokens = words(text)
    return not looks_spanish(text) and any(t in _ENGLISH for t in tokens)


def is_spanish(language: str | None) -> bool:
    """Whether a language tag (a Telegram app's `es`, `es-ES`; a stored one) is Spanish."""
    return (language or "").lower().startswith("es")


def normal_form(text: str) -> str:
    """The form two texts share when they differ only in case, accents, spacing or punctuation."""
    return " ".join(words(text))


def digest(value: Any) -> str:
    return hashlib.sha256(
        json.dumps(value, ensure_ascii=False, sort_keys=True).encode("utf-8")
    ).hexdigest()


def content_hash(prompt: list[dict[str, Any]], answer: str) -> str:
    """Same context and same answer, up to spacing and case, hash the same."""
    turns = [(m.get("role", ""), normal_form(str(m.get("content", "")))) for m in prompt]
    return digest([turns, normal_form(answer)])


def question_hash(question: str) -> str:
    return digest(normal_form(question))
