"""Lexical channel: tokenisation, BM25 (bm25s), typo repair and acronym expansion of queries."""
from __future__ import annotations

import difflib
import re

import bm25s
import numpy as np
import Stemmer

from .glossary import find_acronyms

WORD_RE = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
STOPWORDS = frozenset(bm25s.stopwords.STOPWORDS_EN) | {"hi", "etc", "eg", "ie", "also", "would", "could",
                                                        "should", "may", "might", "us", "we", "our", "you"}


class Lexicon:
    """Corpus vocabulary and a BM25 index over a list of texts (row order = passage order)."""

    def __init__(self, texts: list[str]):
        self.stemmer = Stemmer.Stemmer("english")
        self.vocabulary = sorted({w for t in texts for w in WORD_RE.findall(t.lower())
                                  if w not in STOPWORDS and len(w) > 2})
        self._vocab_set = set(self.vocabulary)
        tokens = [self.tokens(t) for t in texts]
        self.bm25 = bm25s.BM25()
        self.bm25.index(tokens, show_progress=False)
        self._known = set(self.bm25.vocab_dict)

    def tokens(self, text: str) -> list[str]:
        words = [w for w in WORD_RE.findall(text.lower()) if w not in STOPWORDS]
        return self.stemmer.stemWords(words) or []

    def correct(self, query: str) -> str:
        """Replace words the corpus never uses with the closest word it does ('renumeration' stays;
        'experiance' -> 'experience'). Short words and numbers are left alone."""
        out = []
        for word in query.split():
            bare = word.lower().strip(".,;:!?'\"()")
            if len(bare) < 5 or bare in self._vocab_set or bare in STOPWORDS or not bare.isalpha():
                out.append(word)
                continue
            match = difflib.get_close_matches(bare, self.vocabulary, n=1, cutoff=0.8)
            out.append(match[0] if match else word)
        return " ".join(out)

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every text for the query (zeros when no query word is in the corpus)."""
        tokens = [t for t in self.tokens(query) if t in self._known]
        if not tokens:
            return np.zeros(self.bm25.scores["num_docs"], dtype=np.float32)
        return np.asarray(self.bm25.get_scores(tokens), dtype=np.float32)


def expand_acronyms(query: str, glossary: dict[str, str]) -> str:
    """Append the expansion of each acronym in the query ('EBE pay' -> 'EBE pay (Expert by Experience)')."""
    expansions = [glossary[a] for a in find_acronyms(query, glossary)]
    return f"{query} ({'; '.join(expansions)})" if expansions else query
