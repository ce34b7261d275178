"""Glossary: acronyms used in the corpus and what they stand for.

Definitions are first derived from the text itself ("Lived experience (lxp)", "Experts by
Experience ... EBEs"); a small curated list covers what the text never spells out.
"""
from __future__ import annotations

import re

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
# start the last words of the phrase.
_DEFINED_RE = re.compile(r"((?:[A-Za-z][\w'-]*\s+){1,6})\(([A-Za-z/]{2,8})\)")


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
        for m in _DEFINED_RE.finditer(text):
            words = m.group(1).split()
            phrase = _initials_match(words, m.group(2))
            if phrase:
                found.setdefault(m.group(2).upper(), " ".join(phrase))
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
        word = m.group(0).upper()
        key = word if word in glossary else word[:-1] if word.endswith("S") and word[:-1] in glossary else None
        if key and key not in found:
            found.append(key)
    return found
