"""Words of a question that the matched example never speaks of.

A near miss shares a taught question's topic and most of its words, and adds the
one thing it really asks: "Do you ship to the *Canary Islands*?" against "Do you
ship outside the EU?", "Does the warranty cover a *stolen* bike?" against "What
warranty do your bikes have?". Scores over the whole sentence barely move for one
word, so each content word of the question is looked for in the example itself
(its question, phrasings and answer): by spelling (the word, its stem, one typo
away). A word found nowhere is *foreign*.

A foreign word is not always a different question: a paraphrase has words of
its own ("How much is *delivery*?" against "¿Cuánto cuesta el envío?"). With an
embedder, each foreign word is weighed by its *lift*: the question is embedded
again without it, and if it then matches the example clearly better, that word
pulled it away, so it is what the example does not answer. A synonym mostly lifts
nothing (leaving it out loses meaning the example shares); "Canary" or "stolen"
lifts. Measured on `bench/data`, the lift told paraphrases from near misses far
better than scores, margins or word vectors (ROC AUC 0.81 on both sets against
0.57–0.77).

Asked in the other language, though, every word is foreign by spelling, and among
so many one often lifts by chance: "Do you sell gift cards?" was held back from
"¿Vendéis tarjetas regalo?". So across languages a word is first looked for by
meaning: embedded alone, it sits close to its translation among the example's
words (`bot.word_vectors`; "gift" / "regalo"), and such a word is not weighed.

In a long message only the sentences that ask (with a "?") are weighed: the
rest is greeting and context, and it would lift anything.

A question of one content word, foreign to the example ("¿Tenéis duchas?" against
"¿Tenéis parking para bicis?"), has nothing left to compare once it is out, and it
shares only how it is asked: that word must pull the question toward the example
(`ALONE`), or the bot says it doesn't know.

Content words are what is left after the little words of Spanish and English
(articles, pronouns, question words, auxiliaries, greetings, and how a chat writes
them: "r u", "4", "pa", "q"): those say how a thing is asked, not what.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Protocol

from bot.text import looks_spanish, words

if TYPE_CHECKING:
    import numpy as np

STEM = 5  # as the word index: `envíos` meets `envio`, `warranty` meets `warranties`

_LITTLE_WORDS = """
a al algo alguien algun alguna algunas alguno algunos ante antes aqui asi aun aunque
bien buenas buenos cada casi como con contra cual cuales cualquier cuando cuanta
cuantas cuanto cuantos de del desde donde dos el ella ellas ellos en entonces entre
era eres es esa esas ese eso esos esta estais estamos estan estar estas este esto
estos estoy fue ha habeis haber hace haceis hacen hacer hacemos haces hago han has
hasta hay hola la las le les lo los mas me mi mis mucho muchos muy nada ni no nos
nosotros nuestra nuestro o os otra otro para pero poco por porque puede pueden puedo
podeis podemos podria que quien quienes se sea ser si sido sin sobre soy su sus tal
tambien te teneis tenemos tener tengo tiene tienen tienes ti tu tus un una unas uno
unos usted ustedes vais vale vamos van vas voy vosotros vuestra vuestras vuestro
vuestros y ya yo gracias favor pregunta hi hello hey thanks thank please cheers
about after again all also am an and any anything anyone are as at be been before
being both but by can could did do does doing done for from get got had has have
having he her here him his how i if in into is it its just me more most my no not
now of off on once only or other our ours out own same she should so some something
such than that the their them then there these they this those through to too u
ur up us very was we were what whats when where which while who whom why will with
would you your yours im ive id youre dont doesnt cant isnt s t d ll m re ve q
"""
# How a chat writes those same little words ("where r u guys located?", "4 a big dog",
# "q hora abris", "pa salir", "x el estilo"): slang is one of the ways people ask, and a
# word like "r" or "pa", never in a taught question, lifted paraphrases away from theirs.
_CHAT_WORDS = """
r 4 pls plz thx ty tho lol yeah yep yup nope ok okay guys hiya btw idk wanna gonna
gotta gimme lemme cuz coz bc pa k ke xq pq porq tb tmb tbn x dnd xfa porfa plis ey oye
holi tio tia chicos
"""
STOPWORDS = frozenset(_LITTLE_WORDS.split()) | frozenset(_CHAT_WORDS.split())


def content_words(text: str) -> list[str]:
    """The words that say what is asked, in order, without repeats (folded)."""
    return list(dict.fromkeys(w for w in words(text) if w not in STOPWORDS))


class Vocabulary:
    """Every word of an example's texts, by spelling, stem, and one typo away."""

    def __init__(self, texts: Iterable[str]) -> None:
        self.words = set()
        for text in texts:
            self.words.update(words(text))
        self.stems = {w[:STEM] for w in self.words if len(w) >= STEM}

    def spells(self, word: str) -> bool:
        """Whether the word is here as written, by its stem, with one letter off, or (short
        words too) with one letter doubled or undoubled (`dogg`, `sel`)."""
        if word in self.words:
            return True
        if len(word) >= STEM and word[:STEM] in self.stems:
            return True
        if len(word) >= 5 and any(_one_edit(word, w) for w in self.words):
            return True
        return len(word) >= 3 and any(_doubled(word, w) for w in self.words)


def _one_edit(a: str, b: str) -> bool:
    """One letter added, dropped or changed, or two side by side swapped (`outsid` / `outside`,
    `waranty` / `warranty`, `crads` / `cards`)."""
    if abs(len(a) - len(b)) > 1 or len(b) < 4:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    if len(a) == len(b):
        swapped = a[i + 2 :] == b[i + 2 :] and a[i : i + 2] == b[i : i + 2][::-1]
        return a[i + 1 :] == b[i + 1 :] or swapped
    return a[i:] == b[i + 1 :]


def _doubled(a: str, b: str) -> bool:
    """One of them is the other with one letter written twice (`sel` / `sell`)."""
    if len(a) > len(b):
        a, b = b, a
    if len(b) != len(a) + 1 or len(a) < 3:
        return False
    return any(b[i] == b[i + 1] and b[:i] + b[i + 1 :] == a for i in range(len(b) - 1))


def foreign_by_spelling(question: str, texts: Iterable[str]) -> list[str]:
    """The question's content words that none of these texts holds, by spelling alone."""
    vocabulary = Vocabulary(texts)
    return [w for w in content_words(question) if not vocabulary.spells(w)]


class Scorer(Protocol):
    def scores_of(self, key: int, texts: Sequence[str]) -> list[float] | None:
        """The example's dense score for each text asked as a question (None: no vectors)."""
        ...

    def word_vectors(self, words: Sequence[str]) -> np.ndarray | None:
        """Each word embedded alone (None: no embedder, or it failed)."""
        ...


class Match(Protocol):
    @property
    def example_id(self) -> int: ...
    @property
    def question(self) -> str: ...
    @property
    def texts(self) -> tuple[str, ...]: ...
    @property
    def wordings(self) -> tuple[str, ...]: ...


_SENTENCES = re.compile(r"(?<=[.!?…])\s+|\n+")
_TOKENS = re.compile(r"\w+|\W+")


def question_part(text: str) -> str:
    """The sentences of a message that ask something (all of it when none has a "?")."""
    asking = [part for part in _SENTENCES.split(text.strip()) if "?" in part]
    return " ".join(asking) if asking else text


def without(text: str, word: str) -> str:
    """The text with every occurrence of one (folded) word left out."""
    return "".join(
        token
        for token in _TOKENS.findall(text)
        if not (token[0].isalnum() and words(token) == [word])
    )


def swapped(text: str, word: str, other: str) -> str:
    """The text with every occurrence of one (folded) word replaced by another."""
    return "".join(
        other if token[0].isalnum() and words(token) == [word] else token
        for token in _TOKENS.findall(text)
    )


def swap_gain(question: str, match: Match, scorer: Scorer) -> float:
    """What the match gains when the question's one foreign word is swapped for the one word
    of a taught wording the question lacks (0.0 unless they differ by one word each).

    A near miss is often a taught question with one word changed for its sibling
    ("Canarias" for "Baleares", "profesores" for "estudiantes", "abre" for "cierra"):
    leaving it out lifts little, as siblings mean much the same to an embedder. Put the
    taught word back in its place, though, and the question *becomes* the taught one:
    its score jumps. A synonym swapped back ("vale" for "cuesta") changes little."""
    asked = question_part(question)
    vocabulary = Vocabulary([asked])
    own = foreign_by_spelling(asked, match.texts)
    if len(own) != 1:
        return 0.0
    variants = []
    for wording in match.wordings:
        lacking = [w for w in content_words(wording) if not vocabulary.spells(w)]
        if len(lacking) == 1:
            variants.append(swapped(asked, own[0], lacking[0]))
    return _most_gained(asked, variants, match, scorer)


def lift(question: str, match: Match, scorer: Scorer, *, translation: float = 1.1) -> float:
    """The most the match gains when one of the question's foreign words is left out.

    `translation`: asked in the other language than the match, a foreign word that
    close (cosine, embedded alone) to one of the match's words is its translation, and
    not weighed (above 1: never)."""
    gains = word_lifts(question, match, scorer)
    close = translations(question, match, list(gains), scorer) if translation <= 1.0 else {}
    weighed = (gain for word, gain in gains.items() if close.get(word, -1.0) < translation)
    return max(weighed, default=0.0)


def word_lifts(question: str, match: Match, scorer: Scorer) -> dict[str, float]:
    """What the match gains when each of the question's foreign words is left out.

    A question whose one content word is foreign ("¿Tenéis *duchas*?" against "¿Tenéis
    parking para bicis?") shares nothing with the match but how it is asked, so that word
    must be what pulls it there: its lift is taken against the little words left
    ("¿Tenéis?") plus `ALONE`, so it clears the bars only if it pulls by more than
    that. A question of that one word alone has nothing to compare: `ALONE_UNWEIGHED`."""
    asked = question_part(question)
    foreign = foreign_by_spelling(asked, match.texts)
    if not foreign:
        return {}
    if content_words(asked) == foreign and len(foreign) == 1:
        return {foreign[0]: _alone(asked, foreign[0], match, scorer)}
    variants = [(w, without(asked, w)) for w in foreign]
    variants = [(w, text) for w, text in variants if content_words(text)]
    if not variants:
        return {}
    scores = scorer.scores_of(match.example_id, [asked, *(text for _, text in variants)])
    if not scores:
        return {}
    return {w: score - scores[0] for (w, _), score in zip(variants, scores[1:], strict=True)}


# How far a question's one content word, foreign to the match, must pull the question toward
# it (see `word_lifts`): beyond the named band's 0.0025 of `bot.matching`, so that a word that
# changes nothing ("¿Tenéis WhatsApp?" against "¿Vendéis tarjetas regalo?": −0.001) is no
# answer, and one that means the example's topic ("¿Cuál es vuestro teléfono?" against
# "What's your phone number?": −0.048) still is.
ALONE = 0.0125
ALONE_UNWEIGHED = 1.0


def _alone(asked: str, word: str, match: Match, scorer: Scorer) -> float:
    rest = without(asked, word)
    if not words(rest):
        return ALONE_UNWEIGHED
    scores = scorer.scores_of(match.example_id, [asked, rest])
    if not scores:
        return 0.0
    return scores[1] - scores[0] + ALONE


def translations(
    question: str, match: Match, foreign: list[str], scorer: Scorer
) -> dict[str, float]:
    """Asked in the other language than the match: each foreign word's highest similarity
    to a word of the match, both embedded alone (see the module docstring); else nothing."""
    if not foreign or looks_spanish(question) == looks_spanish(match.question):
        return {}
    theirs = list(dict.fromkeys(w for text in match.texts for w in content_words(text)))
    vectors = scorer.word_vectors([*foreign, *theirs]) if theirs else None
    if vectors is None:
        return {}
    closest = (vectors[: len(foreign)] @ vectors[len(foreign) :].T).max(axis=1)
    return {word: float(similarity) for word, similarity in zip(foreign, closest, strict=True)}


def _most_gained(asked: str, variants: list[str], match: Match, scorer: Scorer) -> float:
    """How much better the best variant of the question matches than the question itself."""
    if not variants:
        return 0.0
    scores = scorer.scores_of(match.example_id, [asked, *variants])
    if not scores:
        return 0.0
    return max(score - scores[0] for score in scores[1:])
