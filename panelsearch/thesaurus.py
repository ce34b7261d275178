"""Query expansion beyond acronyms: everyday words -> the words a panel uses, and numbers.

A person types "patient partner", "vouchers" or "six stages"; panels say "Expert by Experience",
"remuneration" and "6 key phases". A small thesaurus shipped as data (``data/thesaurus.json``)
names, for general involvement and improvement vocabulary, the words to add to a query that says
any of its phrases; number words and digits are added for each other ("six" -> 6, "a dozen" -> 12).
The additions are appended to what the search reads, as acronym expansions are
(``lexical.expand_acronyms``): "paying patient partners (remuneration; expert by experience)".

Phrases are compared as BM25 sees words (``text.tokens``: stemmed, stop words dropped), so
"patient reps" matches "patient rep"; the longest phrase at a position wins, so "patient partner"
is not also read as "partner".

``load_thesaurus(extra=...)`` takes more groups in the same shape; per-document synonyms from a
document's metadata are meant to be passed that way (not wired yet: formats.py reads metadata).
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Mapping

from .text import tokens

THESAURUS_FILE = Path(__file__).resolve().parent / "data" / "thesaurus.json"
MAX_PHRASE_WORDS = 8  # longer "phrases" are not vocabulary
MAX_EXTRA_GROUPS = 500  # what a document's own synonyms may add


@dataclass(frozen=True)
class Group:
    """When a query says any of ``when``, add ``add``."""

    when: tuple[str, ...]
    add: tuple[str, ...]


class Thesaurus:
    """Phrases -> words to add. Built from groups; matching is on stemmed tokens."""

    def __init__(self, groups: Iterable[Group]):
        self.groups = tuple(groups)
        self._adds: dict[tuple[str, ...], list[str]] = {}
        for g in self.groups:
            for phrase in g.when:
                key = tuple(tokens(phrase))
                if key:
                    bucket = self._adds.setdefault(key, [])
                    bucket.extend(a for a in g.add if a not in bucket)
        self._longest = max((len(k) for k in self._adds), default=0)
        self._add_words = {a: frozenset(tokens(a)) for adds in self._adds.values() for a in adds}

    def __len__(self) -> int:
        return len(self.groups)

    def additions(self, text: str) -> list[str]:
        """The words to add for ``text``, in the order their phrases occur, each once; an addition
        whose words the query already has is left out."""
        words = tokens(text)
        have = set(words)
        out: list[str] = []
        i = 0
        while i < len(words):
            for n in range(min(self._longest, len(words) - i), 0, -1):
                adds = self._adds.get(tuple(words[i:i + n]))
                if adds is not None:
                    for a in adds:
                        if a not in out and not self._add_words[a] <= have:
                            out.append(a)
                    i += n
                    break
            else:
                i += 1
        return out


def _groups_from(data, where: str) -> list[Group]:
    """Groups from [{"when": [...], "add": [...]}] or {phrase: addition(s)}; ValueError otherwise."""
    if isinstance(data, Mapping) and "groups" in data:
        data = data["groups"]
    if isinstance(data, Mapping):
        data = [{"when": [k], "add": [v] if isinstance(v, str) else v} for k, v in data.items()]
    if not isinstance(data, list):
        raise ValueError(f"{where}: expected a list of {{'when': [...], 'add': [...]}} groups")
    groups = []
    for g in data:
        ok = (isinstance(g, Mapping) and isinstance(g.get("when"), list) and isinstance(g.get("add"), list)
              and all(isinstance(w, str) and w.strip() and len(w.split()) <= MAX_PHRASE_WORDS
                      for w in [*g["when"], *g["add"]]))
        if not ok:
            raise ValueError(f"{where}: a group must be {{'when': [phrases], 'add': [phrases]}} of short phrases")
        groups.append(Group(tuple(" ".join(w.split()) for w in g["when"]), tuple(" ".join(a.split()) for a in g["add"])))
    return groups


@lru_cache(maxsize=4)
def _shipped(path: Path) -> tuple[Group, ...]:
    return tuple(_groups_from(json.loads(path.read_text(encoding="utf-8")), str(path)))


def load_thesaurus(path: Path | None = None, extra=None) -> Thesaurus:
    """The shipped thesaurus, plus ``extra`` groups (a document's own synonyms, for instance).

    Args:
        path: a thesaurus file in the shipped shape (default ``data/thesaurus.json``).
        extra: more groups: ``[{"when": ["patient partner"], "add": ["expert by experience"]}]`` or
            ``{"patient partner": "expert by experience"}``; at most MAX_EXTRA_GROUPS.
    Returns:
        A Thesaurus. Raises ValueError for an extra that is not in either shape.
    """
    groups = list(_shipped(Path(path or THESAURUS_FILE)))
    if extra:
        more = _groups_from(extra, "extra synonyms")
        if len(more) > MAX_EXTRA_GROUPS:
            raise ValueError(f"extra synonyms: at most {MAX_EXTRA_GROUPS} groups, not {len(more)}")
        groups += more
    return Thesaurus(groups)


# -- numbers --------------------------------------------------------------------------------------
_UNITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
          "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
NUMBER_WORDS = {w: n for n, w in enumerate(_UNITS)} | _TENS | {"hundred": 100, "dozen": 12}
WORD_OF = {n: w for w, n in NUMBER_WORDS.items() if w != "dozen"}
# Words that are numbers only sometimes ("no one", "one of them", "the one caveat"): not expanded.
AMBIGUOUS = frozenset({"one", "zero"})
_TENS_RE = "|".join(_TENS)
_NUMBER_RE = re.compile(rf"\b(?:(half a dozen)|(a dozen)|({_TENS_RE})[- ](one|two|three|four|five|six|seven|eight|nine)"
                        rf"|(\d{{1,3}})|([a-z]+))\b", re.IGNORECASE)


def number_additions(text: str) -> list[str]:
    """Digits for number words and number words for digits: "six stages" -> ["6"], "a 10 year plan"
    -> ["ten"], "a dozen" -> ["12"], "twenty-five" -> ["25"]. Only 0-100; "one" and "zero" are left
    alone (too often not a number)."""
    out: list[str] = []
    for m in _NUMBER_RE.finditer(text):
        half, dozen, tens, unit, digits, word = m.groups()
        if half:
            value = "6"
        elif dozen:
            value = "12"
        elif tens:
            value = str(_TENS[tens.lower()] + NUMBER_WORDS[unit.lower()])
        elif digits:
            value = WORD_OF.get(int(digits), "") if digits == str(int(digits)) else ""
        else:
            word = word.lower()
            value = str(NUMBER_WORDS[word]) if word in NUMBER_WORDS and word not in AMBIGUOUS else ""
        if value and value not in out:
            out.append(value)
    return out


def expand(query: str, thesaurus: Thesaurus | None, numbers: bool = True) -> str:
    """``query`` with the thesaurus' additions and the numbers' other spelling appended in brackets
    ('paying patient partners (remuneration; payment; expert by experience; lived experience)')."""
    adds = (thesaurus.additions(query) if thesaurus is not None else []) + (number_additions(query) if numbers else [])
    return f"{query} ({'; '.join(adds)})" if adds else query
