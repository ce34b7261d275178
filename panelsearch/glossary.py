"""Glossary: acronyms used in the corpus and what they stand for.

Definitions are first derived from the text itself ("Lived experience (lxp)", "Experts by
Experience ... EBEs"); a small curated list covers what the text never spells out.
"""
from __future__ import annotations

import re

from .text import SHOWN_WORD_RE, acronym_key

# Terms the seed uses without spelling out; widely known in NHS quality improvement.
CURATED = {
    "EBE": "Expert by Experience",
    "LXP": "lived experience",
    "QI": "quality improvement",
    "HCP": "healthcare professional",
    "NHS": "National Health Service",
    "NHSE/I": "NHS England and NHS Improvement",
    "NHSE": "NHS England",
    "CCG": "Clinical Commissioning Group",
    "MBU": "Mother and Baby Unit",
    "PMH": "perinatal mental health",
    "RCPSYCH": "Royal College of Psychiatrists",
    "ELFT": "East London NHS Foundation Trust",
    "BSMHFT": "Birmingham and Solihull Mental Health NHS Foundation Trust",
    "IHI": "Institute for Healthcare Improvement",
    "PPI": "patient and public involvement",
    "PDSA": "Plan, Do, Study, Act",
}

# "Lived experience (lxp)": words, then the acronym in brackets; the acronym's letters must
# start the last words of the phrase. Found in two linear steps, the bracket first and then the
# words before it: one pattern for both backtracked quadratically on a long word (50 s at 50 KB).
_BRACKETED_RE = re.compile(r"\(([A-Za-z/]{2,8})\)")
_WORD_RE = re.compile(r"[A-Za-z][\w'-]*")
_MAX_WORDS, _WINDOW = 6, 400  # at most six words, looked for in the 400 characters before the bracket


def defined_terms(text: str):
    """(words, acronym) for each 'Long form (abbr)' in ``text``: the one to six words just before
    the bracket, each starting with a letter, the last one followed by white space."""
    floor = 0
    for m in _BRACKETED_RE.finditer(text):
        before = text[max(floor, m.start() - _WINDOW):m.start()]
        if not before[-1:].isspace():
            continue
        words: list[str] = []
        for token in reversed(before.split()):
            if _WORD_RE.fullmatch(token):
                words.insert(0, token)
            else:  # a token like "x.Lived" still ends in a word, which starts the phrase
                tail = _word_suffix(token)
                if tail:
                    words.insert(0, tail)
                break
            if len(words) == _MAX_WORDS:
                break
        if words:
            yield words[-_MAX_WORDS:], m.group(1)
            floor = m.end()


def _word_suffix(token: str) -> str:
    """The longest end of ``token`` that is a word (a letter, then letters, digits, _ ' or -)."""
    start = len(token)
    while start and (token[start - 1].isalnum() or token[start - 1] in "_'-"):
        start -= 1
    letter = next((i for i in range(start, len(token)) if token[i].isascii() and token[i].isalpha()), None)
    return token[letter:] if letter is not None else ""


def _initials_match(words: list[str], acronym: str) -> list[str] | None:
    letters = [c for c in acronym.lower() if c.isalpha()]
    for start in range(len(words)):
        phrase = words[start:]
        initials = "".join(w[0].lower() for w in phrase)
        if initials.startswith(letters[0]) and set(letters) <= set("".join(phrase).lower()):
            if len(phrase) <= len(letters) + 1 and initials[0] == letters[0]:
                return phrase
    return None


def derive(texts: list[str]) -> dict[str, str]:
    """Definitions stated in the text as 'Long form (abbr)'."""
    found: dict[str, str] = {}
    for text in texts:
        for words, acronym in defined_terms(text):
            phrase = _initials_match(words, acronym)
            if phrase:
                found.setdefault(acronym.upper(), " ".join(phrase))
    return found


def build_glossary(texts: list[str], only_present: bool = True) -> dict[str, str]:
    """Acronyms -> expansion; derived definitions win over curated ones.

    With ``only_present`` (for display), only acronyms that occur in ``texts``; without it (for
    expanding queries), every known one. Keys are upper case; matching ignores case ("lxp").
    """
    joined = " ".join(texts)
    glossary = dict(CURATED)
    glossary.update(derive(texts))
    if not only_present:
        return dict(sorted(glossary.items()))
    present = {}
    for acronym, expansion in glossary.items():
        if re.search(rf"(?<![\w/]){re.escape(acronym)}s?(?![\w/])", joined, re.IGNORECASE):
            present[acronym] = expansion
    return dict(sorted(present.items()))


def find_acronyms(text: str, glossary: dict[str, str]) -> list[str]:
    """The glossary acronyms that occur in ``text``, in order of first appearance."""
    found = []
    for m in re.finditer(r"[A-Za-z][A-Za-z/]{1,7}", text):
        key = acronym_key(m.group(0), glossary)
        if key and key not in found:
            found.append(key)
    return found


def glossary_rows(glossary: dict[str, str], display: dict[str, str] | None = None) -> list[tuple[str, str]]:
    """(acronym as written, expansion) rows for the glossary panel, alphabetical.

    ``display`` maps a key to how the corpus writes it (``RCPSYCH`` -> ``RCPsych``).
    """
    display = display or {}
    return sorted(((display.get(k, k), v) for k, v in glossary.items()), key=lambda r: r[0].upper())


def acronym_spellings(texts, glossary: dict[str, str]) -> dict[str, str]:
    """How the corpus most often writes each acronym (``RCPsych``, ``lxp``), for display."""
    counts: dict[str, dict[str, int]] = {}
    for text in texts:
        for word in SHOWN_WORD_RE.findall(text):
            key = acronym_key(word, glossary)
            if key:
                form = word[:-1] if word.upper() != key and word[-1] in "sS" else word
                counts.setdefault(key, {}).setdefault(form, 0)
                counts[key][form] += 1
    return {k: max(forms, key=lambda f: (forms[f], f.isupper())) for k, forms in counts.items()}
