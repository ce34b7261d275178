"""Text at the door: one cleaning function for every reader, metadata field and export.

Whatever a document or a metadata file holds, what passes ``clean_text`` is safe to put in JSON,
in a Word file (XML 1.0), in a terminal and in the page: no C0 or C1 control characters but tab
and newline, no U+FFFE or U+FFFF, no lone surrogates, and NFC-normalised.
"""
from __future__ import annotations

import functools
import re
import threading
import unicodedata

# C0 controls but tab and newline, DEL, C1 controls: a space keeps the words they separated apart.
_CONTROLS_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Not characters at all (U+FFFE, U+FFFF), lone surrogates, and invisible marks: dropped.
_DROPPED_RE = re.compile("[\ufffe\uffff\ud800-\udfff\u200b\ufeff]")


def clean_text(text: str) -> str:
    """``text`` with line ends as ``\\n``, controls as spaces, non-characters and lone surrogates
    dropped, in NFC. Linear in the length of ``text``; positions of lines are kept."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _DROPPED_RE.sub("", text)
    return unicodedata.normalize("NFC", _CONTROLS_RE.sub(" ", text))


# -- words: one tokeniser for BM25, highlighting and acronyms ------------------------------------
# What BM25 indexes and what the page highlights come from the same function, so a highlighted
# word is one that matched (the way bm25s keeps one Tokenizer for indexing and querying).
WORD_RE = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
# Words as the page shows them: hyphenated and slashed words stay whole ("co-production", "NHSE/I").
SHOWN_WORD_RE = re.compile(r"[A-Za-z0-9]+(?:[/'’-][A-Za-z0-9]+)*")
_OUR_STOPWORDS = {"hi", "etc", "eg", "ie", "also", "would", "could", "should", "may", "might", "us", "we", "our",
                  "you"}
_stemmers = threading.local()  # a PyStemmer object is not safe to share between threads


@functools.cache
def stopwords() -> frozenset[str]:
    """bm25s's English stop words and ours, loaded on first use: readers import this module for
    clean_text alone, and a parsing worker should not pay for bm25s and scipy."""
    from bm25s.stopwords import STOPWORDS_EN

    return frozenset(STOPWORDS_EN) | _OUR_STOPWORDS


def __getattr__(name: str):  # text.STOPWORDS, loaded on first use
    if name == "STOPWORDS":
        return stopwords()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def stem(words: list[str]) -> list[str]:
    stemmer = getattr(_stemmers, "english", None)
    if stemmer is None:
        import Stemmer

        stemmer = _stemmers.english = Stemmer.Stemmer("english")
    return stemmer.stemWords(words) or []


def tokens(text: str) -> list[str]:
    """The stemmed words of ``text`` that carry meaning (stop words dropped), as BM25 sees them."""
    stop = stopwords()
    return stem([w for w in WORD_RE.findall(text.lower()) if w not in stop])


# Words a query uses to ask, not to say what it is about.
FUNCTION_WORDS = frozenset({"what", "how", "why", "when", "where", "which", "who", "whom", "whose", "do", "does",
                            "did", "doing", "done", "can", "will", "shall", "must", "get", "gets", "got"})


def content_tokens(text: str) -> list[str]:
    """``tokens`` less numbers and question words: what a query is about ("how do we pay" -> pay)."""
    return [t for t in tokens(text) if not t.isdigit() and t not in _function_stems()]


@functools.cache
def _function_stems() -> frozenset[str]:
    return frozenset(stem(sorted(FUNCTION_WORDS)))


def known_words(vocabulary) -> frozenset[str]:
    """Whole words of a model's word-piece vocabulary: real words, never typos to repair."""
    return frozenset(w for w in vocabulary if w.isalpha() and w.islower() and len(w) > 3)


def acronym_key(word: str, glossary) -> str | None:
    """The glossary entry a word is (``EBEs`` -> ``EBE``, ``lxp`` -> ``LXP``), or None."""
    upper = word.upper()
    if upper in glossary:
        return upper
    if upper.endswith("S") and upper[:-1] in glossary:
        return upper[:-1]
    return None
