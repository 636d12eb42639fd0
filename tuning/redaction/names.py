"""People's names, found offline with a gazetteer and a few cues; no model, no network.

The package bundles common Spanish (Castilian, Catalan, Basque, Galician) and
English given names and surnames (`data/given_names.txt`, `data/surnames.txt`).
A name is redacted when:

- a capitalised given name is followed by a surname or a second given name
  ("Ana García López", "María José", "John Smith", "Laura de la Fuente");
- it follows a strong cue: "me llamo", "mi nombre es", "my name is", "a nombre
  de", "in the name of" (any capitalised words, or lower-case ones from the
  gazetteer: "me llamo ana garcía"), or a title: Sr., Sra., Srta., D.ª, Doña,
  Don, Señor(a), Mr, Mrs, Ms, Mx, Miss ("Sra. Etxebarria");
- a known given name follows a weak cue: a greeting ("Hola Ana", "Hi John",
  "Dear Sarah"), a sign-off ("Un saludo, Marta", "Thanks,\\nTom"), or "soy",
  "I'm", "I am", "this is", "aquí", or is called out after a comma at the end of a
  phrase ("¡Gracias, Marta!", "Sorry, John.").

Given names that are also ordinary words (Rosa, Luz, Jade, Grace, Will, …)
count only after a cue, and then only when the name ends the phrase ("Hola
Rosa," yes; "aceite de Rosa Mosqueta" no). Never redacted: the brand
(`BRAND_NAME`), every capitalised word and phrase of the brand voice (products,
the shop's own people), `REDACT_KEEP`, and brands named after people
(`data/brands.txt`: "Carolina Herrera", "Tom Ford").

Missed, by design or by limit: a lone given name with no cue ("pregunta a
Marta"), a name outside the gazetteer without a cue ("Itziar Goikoetxea"
is caught only after "me llamo"), names in lower case without a strong cue,
names written all in capitals, nicknames and usernames.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from importlib import resources
from itertools import islice
from typing import Any

from tuning.redaction.base import Hit

UP = "A-ZÀ-ÖØ-Þ"
LO = "a-zß-öø-ÿ"
CAPITAL = re.compile(rf"(?<![\w'’])[{UP}][{LO}]*(?:['’-]?[{UP}][{LO}]+|-[{LO}]+)*(?![\w'’])")
WORD = re.compile(rf"[{UP}{LO}][{LO}]*(?:['’-]?[{UP}]?[{LO}]+)*(?![\w'’])")
ANY_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
GAP = re.compile(
    r"[ \t]+(?:(?P<particle>de la|de las|de los|del|de|van der|van|von|da|das|dos|di|du|des"
    r"|le|la|y)[ \t]+)?"
)
TITLES = ("Sr", "Sra", "Srta", "Sres", "Dña", "Doña", "Don", "Señor", "Señora", "Señorita")
TITLES_EN = ("Mr", "Mrs", "Ms", "Mx", "Miss")
_TITLE = re.compile(rf"(?<![\w.])(?:(?:{'|'.join(TITLES + TITLES_EN)})\.?|D\.ª)[ \t]+(?=[{UP}])")
_STRONG = re.compile(
    r"(?i:me llamo|mi nombre es|my name is|my name's|a nombre de|in the name of"
    r"|nombre y apellidos|full name)[ \t]*[:,]?[ \t]*"
)
_WEAK = re.compile(
    r"(?<![\w])(?i:hola|hi|hello|hey|dear|querid[oa]|estimad[oa]|buenos días|buenas tardes"
    r"|buenas noches|buenas|good morning|good afternoon|good evening|gracias|muchas gracias"
    r"|thanks|thank you|saludos|un saludo|atentamente|cordialmente|regards|best regards"
    r"|kind regards|best wishes|cheers|best|un abrazo|besos|soy|i'm|i am|this is|aquí|here's)"
    r"(?![\w'’])[ \t]*[,!.:]?\s*(?=\w)"
)
# A name called out after a comma, ending the phrase: "¡Encantadas, Marta!", "Thanks a lot, John."
_VOCATIVE = re.compile(rf",[ \t]+(?=[{UP}])")
# After a name that is also a word, the phrase must end: "Hola Rosa," but not "Rosa Mosqueta".
_ENDS = re.compile(r"[ \t]*(?:$|[\n.!?,;:)]|[ \t](?:y|e|and|from|de|desde|aquí|here)\b)")
_CALLED = re.compile(r"[ \t]*(?:$|[^\w \t,;:'’(])")  # then the end, a stop, an emoji
CUES = ("llamo", "nombre", "name")  # strong cues: a lower-case name may follow


@lru_cache(maxsize=8192)
def fold(word: str) -> str:
    """Lower case without accents: "García", "GARCIA" and "garcia" are the same name."""
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).replace("’", "'")


def _lines(name: str) -> list[str]:
    text = resources.files("tuning.redaction").joinpath(f"data/{name}").read_text("utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and line[0] != "#"]


def _surface(names: Iterable[str]) -> set[str]:
    """The spellings a capitalised-word scan returns: "María" and "Maria"."""
    out: set[str] = set()
    for name in names:
        for word in name.split():
            plain = "".join(
                ch for ch in unicodedata.normalize("NFKD", word) if not unicodedata.combining(ch)
            )
            out.update({word, plain})
    return out


_GIVEN_LINES = _lines("given_names.txt")
WEAK = frozenset(fold(n[1:]) for n in _GIVEN_LINES if n.startswith("~"))
GIVEN = frozenset(fold(n) for n in _GIVEN_LINES if not n.startswith("~"))
SURNAMES = frozenset(fold(n) for n in _lines("surnames.txt"))
KNOWN = GIVEN | WEAK | SURNAMES
BRANDS = tuple(_lines("brands.txt"))
# Capitalised words that make a text worth a closer look: any given name, or a title.
TRIGGERS = frozenset(
    _surface(n.lstrip("~") for n in _GIVEN_LINES) | {*TITLES, *TITLES_EN, "D"}  # D.ª
)


def _trie(words: Iterable[str]) -> str:
    """One regex for many words, factored by prefix: the engine skips ahead to capitals and
    tries one branch per letter, many times faster than a plain alternation."""
    tree: dict[str, Any] = {}
    for word in words:
        node = tree
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict[str, Any]) -> str:
        alts = [re.escape(ch) + emit(sub) for ch, sub in sorted(node.items()) if ch]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        return f"(?:{body})?" if "" in node else body

    return emit(tree)


TRIGGER = re.compile(f"(?:{_trie(TRIGGERS)})(?![\\w'’])")


class Names:
    """Finds names in a text; phrases it is told to protect are never touched."""

    def __init__(self, protect: Iterable[str] = ()) -> None:
        self.phrases: dict[str, list[tuple[str, ...]]] = {}
        for phrase in (*BRANDS, *protect):
            for run in _capitalised_runs(phrase):
                self.phrases.setdefault(run[0], []).append(run)
        for runs in self.phrases.values():
            runs.sort(key=len, reverse=True)  # the longest protected phrase wins

    @staticmethod
    def maybe(text: str, lower: str) -> bool:
        """A cheap, sure test: no given name or title, and no strong cue, means no name."""
        return TRIGGER.search(text) is not None or any(cue in lower for cue in CUES)

    def __call__(self, text: str, hit: Hit) -> str:
        if not self.maybe(text, text.lower()):
            return text
        spans = self._spans(text)
        if not spans:
            return text
        blocked = self._protected(text)
        out, last = [], 0
        for start, end in _merged(spans):
            if any(s <= start and end <= e for s, e in blocked):
                continue
            out.append(text[last:start])
            out.append(hit("name", text[start:end]))
            last = end
        out.append(text[last:])
        return "".join(out)

    # --- finding -------------------------------------------------------------
    def _spans(self, text: str) -> list[tuple[int, int]]:
        spans: list[tuple[int, int]] = []
        for match in _STRONG.finditer(text):
            self._add(spans, text, match.end(), loose=True, lower=True)
        for match in _TITLE.finditer(text):
            self._add(spans, text, match.end(), loose=True)
        for match in _WEAK.finditer(text):
            self._add(spans, text, match.end(), weak_ok=True)
        for match in _VOCATIVE.finditer(text):
            self._add(spans, text, match.end(), ends=True)
        for match in CAPITAL.finditer(text):
            if fold(match.group()) in GIVEN:
                self._add(spans, text, match.start(), pair=True)
        return spans

    def _add(
        self,
        spans: list[tuple[int, int]],
        text: str,
        pos: int,
        *,
        loose: bool = False,
        lower: bool = False,
        weak_ok: bool = False,
        pair: bool = False,
        ends: bool = False,
    ) -> None:
        """The name starting at `pos`, if the rule that found the cue accepts its first word."""
        first = WORD.match(text, pos)
        if first is None:
            return
        word = first.group()
        folded = fold(word)
        capital = word[0].isupper()
        if not (
            (loose and capital)
            or (capital and (folded in GIVEN or (weak_ok and folded in WEAK)))
            or (lower and folded in KNOWN)
        ):
            return
        end, words = first.end(), 1
        while words < 4:
            gap = GAP.match(text, end)
            nxt = WORD.match(text, gap.end()) if gap else None
            if nxt is None:
                break
            part = nxt.group()
            particle = gap is not None and gap.group("particle") is not None
            if not (
                (part[0].isupper() and (loose or fold(part) in KNOWN))
                or (lower and fold(part) in KNOWN)
                or (part[0].isupper() and particle and words >= 2)  # "María José de la Fuente"
            ):
                break
            end, words = nxt.end(), words + 1
        if pair and words < 2:
            return
        if ends and _CALLED.match(text, end) is None:
            return
        if folded in WEAK and not loose and _ENDS.match(text, end) is None:
            return
        spans.append((pos, end))

    def _protected(self, text: str) -> list[tuple[int, int]]:
        """Where the brand, the voice's own words and known brands stand in this text."""
        blocked = []
        for match in CAPITAL.finditer(text):
            runs = self.phrases.get(fold(match.group()))
            if not runs:
                continue
            found = islice(ANY_WORD.finditer(text, match.start()), len(runs[0]))
            words = [(m.end(), fold(m.group())) for m in found]
            for run in runs:
                if tuple(w for _, w in words[: len(run)]) == run:
                    blocked.append((match.start(), words[len(run) - 1][0]))
                    break
        return blocked


def _capitalised_runs(phrase: str) -> list[tuple[str, ...]]:
    """Every run of capitalised words in a phrase, and what follows its first word, folded.

    "Eres Lucía" protects "Lucía" (a sentence starts with a capital); "Rosa Mosqueta" does not
    protect "Rosa" alone, which is a customer's name as often as not."""
    runs: list[tuple[str, ...]] = []
    current: list[str] = []
    for match in ANY_WORD.finditer(phrase):
        word = match.group()
        if word[0].isupper() or (current and fold(word) in {"de", "la", "del", "y"}):
            current.append(fold(word))
            continue
        if current:
            runs.extend(tuple(current[i:]) for i in range(len(current)))
        current = []
    if current:
        runs.extend(tuple(current[i:]) for i in range(len(current)))
    return runs


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(end, out[-1][1]))
        else:
            out.append((start, end))
    return out
