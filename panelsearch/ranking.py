"""What a search is scored with: the channels' weights, how a query is read before scoring, the
index rows' bookkeeping (which rows are focused passages, and whose answer each belongs to), and a
query prepared once (``PreparedQuery``). search.py does the scoring with them."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .models import Passage


@dataclass(frozen=True)
class Weights:
    dense: float = 0.5
    answer: float = 0.2
    question: float = 0.0  # measured: matching the audience question alone did not help ranking
    bm25: float = 0.15  # 0.05 before the thesaurus; with it 0.10-0.25 is a plateau on tune (MRR 0.86-0.89)


WEIGHTS = Weights()


@dataclass(frozen=True)
class Reading:
    """How a query is read before it is scored: which expansions reach which channel, and whether
    a long query is also read sentence by sentence. Chosen on the dev set's tune half (hybrid MRR,
    BM25 weight 0.15): no thesaurus 0.810, BM25 alone 0.865, both channels 0.859 - the same within
    one query, and with both the model reads "patient partner" as an expert by experience, which
    lifts answerable queries' evidence (answerable low 1 of 83 against 2). Numbers moved no tune
    query either way. Sentence by sentence (max or mean, weight 0.25-0.75) moved MRR by at most
    +0.007 (one query) for an encode of every sentence: off."""

    thesaurus: str = "both"  # "off", "bm25" (BM25 alone reads the additions) or "both" (the model too)
    numbers: str = "both"  # number words <-> digits: "off", "bm25" or "both"
    corpus_only: bool = False  # add only words the corpus uses (for the model's reading)
    sentences: str = "off"  # a query of several sentences: "off", "max" or "mean" of per-sentence similarities
    sentence_weight: float = 0.5  # share of the fused per-sentence similarity beside the whole query's
    min_sentences: int = 2


READING = Reading()
# Past ann.EXACT_UP_TO only FAISS's best rows (and their answers) are scored; at most
# efSearch / k_factor of them, or the graph search widens (docs/scaling.md).
CANDIDATES = 500
# The "dense" baseline ranks whole answers (question in front); among a speaker's passages, which
# all share that score, the passage's own similarity decides, at a weight too small to reorder answers.
DENSE_TIE_BREAK = 1e-3


class Rows:
    """Row bookkeeping: which index rows are focused passages ("chunks"), and for each chunk the row
    of its speaker's whole answer, of its audience question, its speaker and its document."""

    def __init__(self, passages: list[Passage], question_keys: list[tuple[str, int]]):
        answer_row: dict[tuple, int] = {}
        for i, p in enumerate(passages):
            unit = (p.source, p.question_number, p.speaker)
            if p.kind == "answer" or unit not in answer_row:
                answer_row[unit] = i
        question_row = {key: i for i, key in enumerate(question_keys)}
        self.answer_of = np.array([answer_row[(p.source, p.question_number, p.speaker)] for p in passages],
                                  dtype=np.int64)
        self.chunks = np.array([i for i, p in enumerate(passages) if p.kind == "chunk"], dtype=np.int64)
        chunks = [passages[i] for i in self.chunks]
        self.chunk_answers = self.answer_of[self.chunks]
        self.chunk_questions = np.array([question_row.get((p.source, p.question_number), 0) for p in chunks],
                                        dtype=np.int64)
        self.chunk_speakers = np.array([p.speaker for p in chunks], dtype=object)
        self.chunk_sources = np.array([p.source for p in chunks], dtype=object)
        self.chunk_numbers = np.array([p.question_number for p in chunks], dtype=np.int64)

    def mask(self, speakers=None, sources=None) -> np.ndarray:
        """Which chunks the filters keep (every chunk without filters)."""
        keep = np.ones(len(self.chunks), dtype=bool)
        if speakers:
            keep &= np.isin(self.chunk_speakers, speakers)
        if sources:
            keep &= np.isin(self.chunk_sources, sources)
        return keep


@dataclass
class PreparedQuery:
    """A query read once: what was asked, what the channels see, its vector and every channel's
    score for every chunk."""

    text: str  # as asked, white space collapsed, cut to what the model reads
    corrected: str  # typos repaired against the corpus vocabulary
    expanded: str  # ... and acronyms (and the expansions the model reads) in one bracket: what the model sees
    vector: np.ndarray
    channels: dict[str, np.ndarray]
    notice: str = ""  # why the query was cut, if it was
    lexical: str = ""  # ... and every expansion (thesaurus, numbers): what BM25 sees
    _scores: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
