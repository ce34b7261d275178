"""Search stage: a query -> ranked, speaker-attributed passages from a loaded index."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .config import DEFAULT_K, MAX_K
from .embed import load_embedder
from .errors import CorruptIndexError, UsageError
from .index import IndexData, check_fresh, load_index
from .models import CompareResult, Hit, Passage, SearchResult

LOW_CONFIDENCE_BELOW = 0.35  # top dense cosine under this: the panel did not really cover it


class Searcher:
    """Searches one index. Thread-safe: search state is read-only after load."""

    def __init__(self, data: IndexData, embedder):
        self.data = data
        self.manifest = data.manifest
        self.embedder = embedder
        self.passages: list[Passage] = data.passages
        self.questions = data.questions
        self.chunk_rows = np.array([i for i, p in enumerate(self.passages) if p.kind == "chunk"], dtype=np.int64)
        self.speakers = sorted({p.speaker for p in self.passages})

    @classmethod
    def load(cls, index_dir: Path, embedder=None, corpus_dir: Path | None = None, check_stale: bool = True) -> "Searcher":
        """Load an index (checking it is whole and fresh) and the model it was built with."""
        data = load_index(index_dir)
        if check_stale:
            check_fresh(data.manifest, corpus_dir)
        if embedder is None:
            embedder = load_embedder(data.manifest["model"])
        if embedder.model_id != data.manifest["model"] or embedder.dim != data.manifest["dimension"]:
            raise CorruptIndexError(f"index at {index_dir} was built with model {data.manifest['model']} "
                                    f"(dimension {data.manifest['dimension']}), not {embedder.model_id}; "
                                    f"rebuild it with: python -m panelsearch build --model {embedder.model_id}")
        return cls(data, embedder)

    # -- validation -------------------------------------------------------------------------
    def _check(self, query: str, k: int, speakers) -> tuple[str, list[str] | None]:
        if not isinstance(query, str) or not query.strip():
            raise UsageError("the query is empty: type a question or a few words")
        if not isinstance(k, int) or k < 1:
            raise UsageError(f"k must be a whole number of at least 1, not {k!r}")
        if speakers:
            speakers = list(dict.fromkeys(speakers))
            unknown = [s for s in speakers if s not in self.speakers]
            if unknown:
                raise UsageError(f"unknown speaker {', '.join(unknown)}: this corpus has {', '.join(self.speakers)}")
        return query.strip(), speakers or None

    # -- scoring ----------------------------------------------------------------------------
    def score_passages(self, query: str) -> np.ndarray:
        """A relevance score for every passage row (answer-level rows included)."""
        qv = self.embedder.encode([query])
        scores, ids = self.data.index.search(qv, self.data.index.ntotal)
        out = np.full(len(self.passages), -1.0, dtype=np.float32)
        valid = ids[0] >= 0
        out[ids[0][valid]] = scores[0][valid]
        return out

    def query(self, query: str, k: int = DEFAULT_K, speakers=None) -> SearchResult:
        """Search, returning hits and whether nothing answers the query well."""
        query, speakers = self._check(query, k, speakers)
        k = min(k, MAX_K)
        scores = self.score_passages(query)
        rows = self.chunk_rows
        if speakers:
            rows = rows[np.isin([self.passages[i].speaker for i in rows], speakers)]
        order = rows[np.argsort(-scores[rows], kind="stable")][:k]
        hits = [self._hit(rank, int(i), float(scores[i])) for rank, i in enumerate(order, start=1)]
        top = float(scores[self.chunk_rows].max()) if len(self.chunk_rows) else 0.0
        return SearchResult(query=query, low_confidence=top < LOW_CONFIDENCE_BELOW, hits=hits)

    def search(self, query: str, k: int = DEFAULT_K, speakers=None) -> list[Hit]:
        return self.query(query, k, speakers).hits

    def compare(self, query: str, k: int = 3) -> CompareResult:
        """Each speaker's best passages for the same query, side by side."""
        result = self.query(query, k)
        by_speaker = {s: self.query(query, k, [s]).hits for s in self.speakers}
        return CompareResult(query=result.query, speakers=by_speaker, low_confidence=result.low_confidence)

    def _hit(self, rank: int, row: int, score: float) -> Hit:
        p = self.passages[row]
        return Hit(rank=rank, score=round(score, 4), question_number=p.question_number, question=p.question,
                   speaker=p.speaker, text=p.text, passage_id=p.passage_id, source=p.source,
                   position=p.position, relevance=relevance_label(score))


def relevance_label(score: float) -> str:
    if score >= 0.6:
        return "strong match"
    if score >= 0.45:
        return "good match"
    if score >= LOW_CONFIDENCE_BELOW:
        return "partial match"
    return "weak match"
