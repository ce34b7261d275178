"""Lexical channel: tokenisation, BM25 (bm25s), typo repair and acronym expansion of queries."""
from __future__ import annotations

import difflib
import math

import bm25s
import numpy as np
from rapidfuzz import fuzz, process

from .glossary import find_acronyms
from .text import STOPWORDS, WORD_RE, content_tokens, tokens
TYPO_CUTOFF = 0.75  # how close a corpus word must be to replace an unknown one
MAX_TYPO_WORD = 40  # longer "words" are not typos of a corpus word: left alone


class Lexicon:
    """Corpus vocabulary and a BM25 index over a list of texts (row order = passage order).

    ``known_words`` are real words that must never be "corrected" even though the corpus does not
    use them ("leaving" is not a typo of "learning"); the model's own word-piece vocabulary is a
    good source of them.
    """

    def __init__(self, texts: list[str], known_words: frozenset[str] = frozenset()):
        self.known_words = known_words
        self.vocabulary = sorted({w for t in texts for w in WORD_RE.findall(t.lower())
                                  if w not in STOPWORDS and len(w) > 2})
        self._vocab_set = set(self.vocabulary)
        rows = [tokens(t) for t in texts]
        self.row_tokens = [frozenset(t) for t in rows]
        self.doc_freq: dict[str, int] = {}
        for row in self.row_tokens:
            for token in row:
                self.doc_freq[token] = self.doc_freq.get(token, 0) + 1
        self.bm25 = bm25s.BM25()
        self.bm25.index(rows, show_progress=False)
        self._known = set(self.bm25.vocab_dict)

    def correct(self, query: str) -> str:
        """Replace misspelt words with the closest word the corpus uses ('experiance' -> 'experience').

        A word is left alone when the corpus or ``known_words`` has it, or it is short or not
        alphabetic: only words that are likely typos are touched.
        """
        out = []
        for word in query.split():
            bare = word.lower().strip(".,;:!?'\"()")
            if (len(bare) < 4 or not bare.isalpha() or bare in self._vocab_set or bare in STOPWORDS
                    or bare in self.known_words):
                out.append(word)
                continue
            out.append(self._closest(bare) or word)
        return " ".join(out)

    def _closest(self, word: str) -> str | None:
        """The corpus word difflib finds closest to ``word`` (ratio >= 0.75), or None.

        difflib alone scans the whole vocabulary in Python (2.8 s a query at 15k words); rapidfuzz
        first keeps the words whose Indel ratio reaches the cutoff. That ratio is never below
        difflib's, so the shortlist holds every word difflib would accept and the answer is the same.
        """
        if len(word) > MAX_TYPO_WORD:
            return None
        shortlist = [w for w, _, _ in process.extract(word, self.vocabulary, scorer=fuzz.ratio,
                                                        score_cutoff=TYPO_CUTOFF * 100, limit=None)]
        match = difflib.get_close_matches(word, shortlist, n=1, cutoff=TYPO_CUTOFF)
        return match[0] if match else None

    def idf(self, token: str) -> float:
        n, df = len(self.row_tokens), self.doc_freq.get(token, 0)
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def coverage(self, query: str, row: int) -> tuple[float, float]:
        """How much of the query the corpus speaks to: the IDF-weighted share of its words found
        anywhere in the corpus, and in passage ``row``. Words the corpus never uses weigh most."""
        # Numbers and question words say nothing about the topic: "1' OR '1'='1" or "how do we do it"
        # must not count as covered just because the corpus has digits and "how".
        words = list(dict.fromkeys(content_tokens(query)))
        total = sum(self.idf(t) for t in words)
        if not total:
            return 0.0, 0.0
        anywhere = sum(self.idf(t) for t in words if t in self.doc_freq) / total
        in_row = sum(self.idf(t) for t in words if t in self.row_tokens[row]) / total
        return anywhere, in_row

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every text for the query (zeros when no query word is in the corpus)."""
        known = [t for t in tokens(query) if t in self._known]
        if not known:
            return np.zeros(self.bm25.scores["num_docs"], dtype=np.float32)
        return np.asarray(self.bm25.get_scores(known), dtype=np.float32)


def expand_acronyms(query: str, glossary: dict[str, str]) -> str:
    """Append the expansion of each acronym in the query ('EBE pay' -> 'EBE pay (Expert by Experience)')."""
    expansions = [glossary[a] for a in find_acronyms(query, glossary)]
    return f"{query} ({'; '.join(expansions)})" if expansions else query
