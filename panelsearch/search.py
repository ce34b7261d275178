"""Search stage: a query -> ranked, speaker-attributed passages from a loaded index.

The shipped pipeline ("hybrid") scores every focused passage by four channels and adds them:
- dense: the query against the passage (embedded with its audience question in front);
- answer: the query against the speaker's whole answer, so a passage shares its answer's context;
- question: the query against the audience question alone;
- bm25: word overlap, after repairing typos against the corpus vocabulary and expanding acronyms.
"dense" and "bm25" alone are kept for the evaluation's side-by-side comparison.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import ann
from .config import DEFAULT_K, MAX_K
from .embed import load_embedder
from .errors import CorruptIndexError, PanelsearchError, StaleIndexError, UsageError
from .glossary import build_glossary
from .index import IndexData, check_fresh, load_index
from .lexical import Lexicon, expand_acronyms
from .models import CompareResult, Hit, Passage, QuestionMatch, SearchResult

MODES = ("hybrid", "dense", "bm25")


@dataclass(frozen=True)
class Weights:
    dense: float = 0.5
    answer: float = 0.2
    question: float = 0.0  # measured: matching the audience question alone did not help ranking
    bm25: float = 0.05


WEIGHTS = Weights()
# Low confidence: evidence = best dense similarity + 0.25 x the IDF-weighted share of the query's
# words found in the corpus + 0.25 x the share found in the top passage. Calibrated on the dev set
# (a broad plateau from 0.50 to 0.53); near-domain questions the panel never discussed fall below.
COVERAGE_WEIGHT = 0.25
LOW_CONFIDENCE_BELOW = 0.51
# Past ann.EXACT_UP_TO only FAISS's best rows (and their answers) are scored; at most
# efSearch / k_factor of them, or the graph search widens (docs/scaling.md).
CANDIDATES = 500
MAX_QUERY_CHARS = 1000  # about what the model reads (256 word pieces); the rest is cut, with a notice


class Searcher:
    """Searches one index. Thread-safe: all state is read-only after load."""

    def __init__(self, data: IndexData, embedder):
        self.data = data
        self.manifest = data.manifest
        self.embedder = embedder
        self.passages: list[Passage] = data.passages
        self.questions: list[dict] = data.questions
        self.documents: list[dict] = self.manifest.get("documents", [])
        self.titles = {d["source"]: d["title"] for d in self.documents}
        self.sources = [d["source"] for d in self.documents] or sorted({p.source for p in self.passages})
        self.speakers = sorted({p.speaker for p in self.passages})
        # Initials are unique only within a document: display names are looked up per (source, initials).
        self.speaker_names = {(d["source"], s["initials"]): s.get("display") or s["initials"]
                              for d in self.documents for s in d.get("speaker_details", [])}
        try:  # a read-only view of the index's own vectors: no second copy (1.5 GB at 1M passages)
            self.vectors = ann.stored_vectors(data.index)
        except TypeError:  # an index kind that keeps no plain vectors
            self.vectors = data.index.reconstruct_n(0, data.index.ntotal)

        # Row bookkeeping: each chunk row knows its unit's whole-answer row and its question row.
        q_row = {(q["source"], q["number"]): i for i, q in enumerate(self.questions)}
        answer_row: dict[tuple, int] = {}
        for i, p in enumerate(self.passages):
            unit = (p.source, p.question_number, p.speaker)
            if p.kind == "answer" or unit not in answer_row:
                answer_row[unit] = i
        self.exact = ann.is_exact(data.index)
        self.answer_row_of = np.array([answer_row[(p.source, p.question_number, p.speaker)] for p in self.passages],
                                      dtype=np.int64)
        self.chunk_rows = np.array([i for i, p in enumerate(self.passages) if p.kind == "chunk"], dtype=np.int64)
        chunks = [self.passages[i] for i in self.chunk_rows]
        self.chunk_answer_rows = np.array([answer_row[(p.source, p.question_number, p.speaker)] for p in chunks],
                                          dtype=np.int64)
        self.chunk_question_rows = np.array([q_row.get((p.source, p.question_number), 0) for p in chunks],
                                            dtype=np.int64)
        self.chunk_speakers = np.array([p.speaker for p in chunks], dtype=object)
        self.chunk_sources = np.array([p.source for p in chunks], dtype=object)
        corpus_texts = [q["question"] for q in self.questions] + [p.text for p in chunks]
        self.glossary = build_glossary(corpus_texts, only_present=False)
        self.lexicon = Lexicon([f"{p.question} {p.text}" for p in chunks], embedder.known_words())

    @classmethod
    def load(cls, index_dir: Path, embedder=None, corpus_dir: Path | None = None, check_stale: bool = True) -> "Searcher":
        """Load an index (checking it is whole and fresh) and the model it was built with."""
        data = load_index(index_dir)
        if check_stale:
            check_fresh(data.manifest, corpus_dir)
        if embedder is None:
            try:
                embedder = load_embedder(data.manifest["model"])
            except PanelsearchError as err:
                raise StaleIndexError(f"index at {index_dir} was built with model '{data.manifest['model']}', which "
                                      f"cannot be loaded here ({err}); rebuild it with: python -m panelsearch build") from None
        if embedder.model_id != data.manifest["model"] or embedder.dim != data.manifest["dimension"]:
            raise CorruptIndexError(f"index at {index_dir} was built with model {data.manifest['model']} "
                                    f"(dimension {data.manifest['dimension']}), not {embedder.model_id}; "
                                    f"rebuild it with: python -m panelsearch build --model {embedder.model_id}")
        return cls(data, embedder)

    # -- validation -------------------------------------------------------------------------
    def _check_sources(self, sources) -> list[str] | None:
        if not sources:
            return None
        sources = list(dict.fromkeys(sources))
        unknown = [s for s in sources if s not in self.sources]
        if unknown:
            raise UsageError(f"unknown document {', '.join(unknown)}: this library has {', '.join(self.sources)}")
        return sources

    def _check(self, query: str, k: int, speakers) -> tuple[str, list[str] | None]:
        if not isinstance(query, str) or not query.strip():
            raise UsageError("the query is empty: type a question or a few words")
        try:
            query.encode("utf-8")
        except UnicodeEncodeError:  # lone surrogates: undecodable bytes from argv or a terminal
            raise UsageError("the query is not valid text (bytes that are not UTF-8): type it again") from None
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise UsageError(f"k must be a whole number of at least 1, not {k!r}")
        if speakers:
            speakers = list(dict.fromkeys(speakers))
            unknown = [s for s in speakers if s not in self.speakers]
            if unknown:
                raise UsageError(f"unknown speaker {', '.join(unknown)}: this corpus has {', '.join(self.speakers)}")
        return " ".join(query.split()), speakers or None

    # -- scoring ----------------------------------------------------------------------------
    def prepare(self, query: str) -> str:
        """The query as the channels see it: typos repaired, acronyms expanded."""
        return expand_acronyms(self.lexicon.correct(query), self.glossary)

    def channels(self, query: str) -> dict[str, np.ndarray]:
        """Each channel's score for every chunk row, in chunk-row order."""
        text = self.prepare(query)
        qv = self.embedder.encode([text])[0]
        passage_sims = self.passage_similarities(qv)
        question_sims = self.data.question_vectors @ qv if len(self.questions) else np.zeros(0, np.float32)
        return {
            "dense": passage_sims[self.chunk_rows],
            "answer": passage_sims[self.chunk_answer_rows],
            "question": question_sims[self.chunk_question_rows],
            "bm25": self.lexicon.scores(text),
        }

    def passage_similarities(self, qv: np.ndarray) -> np.ndarray:
        """Cosine of the query with every passage row. A large library (approximate index) scores
        only the rows FAISS finds best, plus their whole answers; the rest get -1."""
        if self.exact:
            return self.vectors @ qv
        sims = np.full(len(self.passages), -1.0, dtype=np.float32)
        _, ids = self.data.index.search(qv[None, :].astype(np.float32), min(CANDIDATES, len(self.passages)))
        rows = ids[0][ids[0] >= 0]
        rows = np.union1d(rows, self.answer_row_of[rows])
        sims[rows] = self.vectors[rows] @ qv
        return sims

    def score(self, channels: dict[str, np.ndarray], mode: str = "hybrid", weights: Weights = WEIGHTS) -> np.ndarray:
        if mode == "dense":
            return channels["answer"] + 1e-3 * channels["dense"]  # whole answer, question in front
        bm25 = channels["bm25"]
        if mode == "bm25":
            return bm25
        top = float(bm25.max()) if len(bm25) else 0.0
        lexical = bm25 / top if top > 0 else bm25
        return (weights.dense * channels["dense"] + weights.answer * channels["answer"]
                + weights.question * channels["question"] + weights.bm25 * lexical)

    def query(self, query: str, k: int = DEFAULT_K, speakers=None, mode: str = "hybrid",
              sources=None) -> SearchResult:
        """Search, returning hits and whether nothing in the corpus answers the query well.

        ``speakers`` (initials) and ``sources`` (document names) narrow the hits; with several
        documents, a speaker filter applies to every document that has those initials.
        """
        if mode not in MODES:
            raise UsageError(f"unknown mode {mode!r}: expected one of {', '.join(MODES)}")
        query, speakers = self._check(query, k, speakers)
        sources = self._check_sources(sources)
        query, notice = self._truncate(query)
        channels = self.channels(query)
        scores = self.score(channels, mode)
        keep = np.ones(len(scores), dtype=bool)
        if speakers:
            keep &= np.isin(self.chunk_speakers, speakers)
        if sources:
            keep &= np.isin(self.chunk_sources, sources)
        candidates = np.flatnonzero(keep)
        order = candidates[np.argsort(-scores[candidates], kind="stable")][: min(k, MAX_K)]
        hits = [self._hit(rank, int(j), float(scores[j])) for rank, j in enumerate(order, start=1)]
        low = self.evidence(query, channels, scores) < LOW_CONFIDENCE_BELOW
        return SearchResult(query=query, low_confidence=low, hits=hits, notice=notice,
                            closest_questions=self.closest_questions(query, sources=sources) if low else [])

    def _truncate(self, query: str) -> tuple[str, str]:
        """Cut a very long query to what the model reads, saying so."""
        if len(query) > MAX_QUERY_CHARS:
            cut = query[:MAX_QUERY_CHARS].rsplit(" ", 1)[0] or query[:MAX_QUERY_CHARS]
            return cut, f"Your query was {len(query):,} characters long; only its first {len(cut):,} were searched."
        if self.embedder.token_count(query) > self.embedder.max_tokens:
            return query, f"Your query is longer than the {self.embedder.max_tokens} word pieces the model reads; the rest was ignored."
        return query, ""

    def evidence(self, query: str, channels: dict[str, np.ndarray], scores: np.ndarray) -> float:
        """How well the corpus answers the query at all, whatever the filters (see LOW_CONFIDENCE_BELOW)."""
        if not len(scores):
            return 0.0
        anywhere, in_top = self.lexicon.coverage(self.lexicon.correct(query), int(np.argmax(scores)))
        return float(channels["dense"].max()) + COVERAGE_WEIGHT * (anywhere + in_top)

    def search(self, query: str, k: int = DEFAULT_K, speakers=None, sources=None) -> list[Hit]:
        return self.query(query, k, speakers, sources=sources).hits

    def speakers_of(self, sources=None) -> list[str]:
        """The speakers' initials in the given documents (all documents by default)."""
        sources = self._check_sources(sources)
        return sorted({p.speaker for p in self.passages if not sources or p.source in sources})

    def compare(self, query: str, k: int = 3, sources=None) -> CompareResult:
        """Each speaker's best passages for the same query, side by side."""
        result = self.query(query, k, sources=sources)
        by_speaker = {s: self.query(query, k, [s], sources=sources).hits for s in self.speakers_of(sources)}
        return CompareResult(query=result.query, speakers=by_speaker, low_confidence=result.low_confidence,
                             hits=result.hits)

    def answer_passages(self, source: str, number: int, speaker: str) -> list[Passage]:
        """The focused passages of one speaker's answer to one question, in reading order."""
        return [p for p in self.passages if p.kind == "chunk" and p.source == source
                and p.question_number == number and p.speaker == speaker]

    def closest_questions(self, query: str, n: int = 3, sources=None) -> list[QuestionMatch]:
        """The audience questions nearest the query, for when the panel did not answer it."""
        sources = self._check_sources(sources)
        if not self.questions:
            return []
        sims = self.data.question_vectors @ self.embedder.encode([self.prepare(query)])[0]
        rows = [i for i in np.argsort(-sims, kind="stable") if not sources or self.questions[i]["source"] in sources]
        out = []
        for i in rows[:n]:
            q = self.questions[int(i)]
            out.append(QuestionMatch(source=q["source"], title=q.get("title", ""), number=q["number"],
                                     question=q["question"], score=round(float(sims[i]), 4),
                                     speakers=list(dict.fromkeys(a["speaker"] for a in q.get("answers", [])))))
        return out

    def question(self, source: str, number: int) -> dict | None:
        """One audience question with every speaker's full answer, for browsing."""
        return next((q for q in self.questions if q["source"] == source and q["number"] == number), None)

    def _hit(self, rank: int, chunk: int, score: float) -> Hit:
        p = self.passages[self.chunk_rows[chunk]]
        return Hit(rank=rank, score=round(score, 4), question_number=p.question_number, question=p.question,
                   speaker=p.speaker, text=p.text, passage_id=p.passage_id, source=p.source,
                   position=p.position, relevance=relevance_label(score), title=self.titles.get(p.source, ""),
                   speaker_name=self.speaker_names.get((p.source, p.speaker), p.speaker))


def relevance_label(score: float) -> str:
    """A label a person can read for a fused score. Cut-offs from the dev set: half of the passages
    that answer a query directly score over 0.37, three quarters of unrelated ones under 0.29."""
    if score >= 0.45:
        return "strong match"
    if score >= 0.35:
        return "good match"
    if score >= 0.25:
        return "partial match"
    return "weak match"
