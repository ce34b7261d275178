"""Search stage: a query -> ranked, speaker-attributed passages from a loaded index.

A query is prepared once (``Searcher.prepare_query``): checked, cut to what the model reads, its
typos repaired, its acronyms expanded and everyday words bridged to a panel's (thesaurus.py:
"patient partner" -> "expert by experience", "six" -> "6"), encoded, and scored by every channel
for every focused passage:
- dense: the query against the passage (embedded with its audience question in front);
- answer: the query against the speaker's whole answer, so a passage shares its answer's context;
- question: the query against the audience question alone (weight 0: measured not to help);
- bm25: word overlap with the repaired, expanded query.
Search, compare (one mask per speaker over the same scores), the confidence tier (high, medium,
low), the relevance labels and the closest questions all read that one preparation. The "dense"
and "bm25" modes rank by one channel alone, for the evaluation's side-by-side comparison.
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from . import ann
from .catalog import Catalog
from .confidence import COVERAGE_WEIGHT, GOOD_FROM, relevance_label, tier
from .config import DEFAULT_K, LIBRARY_MAX_K, QUERY_MAX_CHARS, Settings
from .embed import load_embedder
from .errors import CorruptIndexError, PanelsearchError, StaleIndexError, UsageError
from .glossary import build_glossary
from .index_load import IndexData, check_fresh, load_index
from .lexical import Lexicon, expand_acronyms
from .models import CompareResult, Hit, QuestionMatch, SearchResult
from .passages import split_sentences
from .ranking import CANDIDATES, DENSE_TIE_BREAK, READING, WEIGHTS, PreparedQuery, Reading, Rows, Weights
from .text import content_tokens
from .thesaurus import load_thesaurus, number_additions

MODES = ("hybrid", "dense", "bm25")
MAX_QUERY_CHARS = QUERY_MAX_CHARS  # the name the query tests know it by


class Searcher:
    """Searches one index. Thread-safe: all state is read-only after load."""

    def __init__(self, data: IndexData, embedder, synonyms=None, reading: Reading = READING):
        """``synonyms``: more thesaurus groups (``thesaurus.load_thesaurus(extra=...)``), such as a
        document's own; ``reading``: how queries are read (expansions, sentences)."""
        self.data = data
        self.reading = reading
        self.weights = WEIGHTS
        self.thesaurus = load_thesaurus(extra=synonyms)
        self.manifest = data.manifest
        self.embedder = embedder
        self.catalog = Catalog.of(data)
        self.passages = self.catalog.passages
        self.questions = self.catalog.questions
        self.documents = self.catalog.documents
        self.sources = self.catalog.sources
        self.speakers = self.catalog.speakers
        self.titles = self.catalog.titles
        # computed at build time and stored with the index (topics.json): the Topics view and Who's who
        self.topics, self.speaker_terms, self.speaker_topics = data.topics, data.speaker_terms, data.speaker_topics
        try:  # a read-only view of the index's own vectors: no second copy (1.5 GB at 1M passages)
            self.vectors = ann.stored_vectors(data.index)
        except TypeError:  # an index kind that keeps no plain vectors
            self.vectors = data.index.reconstruct_n(0, data.index.ntotal)
        self.exact = ann.is_exact(data.index)
        self.rows = Rows(self.passages, [q.key for q in self.questions])
        chunks = [self.passages[i] for i in self.rows.chunks]
        self.glossary = build_glossary([q.question for q in self.questions] + [p.text for p in chunks],
                                       only_present=False)
        self.lexicon = Lexicon([f"{p.question} {p.text}" for p in chunks], embedder.known_words())

    @classmethod
    def load(cls, index_dir: Path, embedder=None, corpus_dir: Path | None = None, check_stale: bool = True,
             settings: Settings = Settings()) -> "Searcher":
        """Load an index (checking it is whole and fresh) and the model it was built with.

        Args:
            index_dir: the index folder.
            embedder: a loaded model; by default the one the index was built with is loaded.
            corpus_dir: the corpus to check freshness against (by default the one the index names).
            check_stale: refuse an index older than its corpus.
            settings: where the model's ONNX export is cached, and whether to use it (load_embedder).
        Returns:
            A Searcher. Raises IndexMissingError, CorruptIndexError or StaleIndexError.
        """
        data = load_index(index_dir)
        if check_stale:
            check_fresh(data.manifest, corpus_dir)
        if embedder is None:
            try:
                embedder = load_embedder(data.manifest["model"], settings)
            except PanelsearchError as err:
                raise StaleIndexError(f"index at {index_dir} was built with model '{data.manifest['model']}', which "
                                      f"cannot be loaded here ({err}); rebuild it with: python -m panelsearch build") from None
        if embedder.model_id != data.manifest["model"] or embedder.dim != data.manifest["dimension"]:
            raise CorruptIndexError(f"index at {index_dir} was built with model {data.manifest['model']} "
                                    f"(dimension {data.manifest['dimension']}), not {embedder.model_id}; "
                                    f"rebuild it with: python -m panelsearch build --model {embedder.model_id}")
        return cls(data, embedder)

    # -- one preparation per query ------------------------------------------------------------
    def prepare_query(self, text: str) -> PreparedQuery:
        """Check, cut, repair, encode and score a query once.

        Args:
            text: the query as typed.
        Returns:
            A PreparedQuery for ``query``, ``compare``, ``closest_questions`` and ``search_by_vector``.
            Raises UsageError for an empty query or one that is not text.
        """
        if not isinstance(text, str) or not text.strip():
            raise UsageError("the query is empty: type a question or a few words")
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:  # lone surrogates: undecodable bytes from argv or a terminal
            raise UsageError("the query is not valid text (bytes that are not UTF-8): type it again") from None
        text, notice = self._truncate(" ".join(text.split()))
        corrected = self.lexicon.correct(text)
        expanded = self._expand(corrected, "both")
        lexical = expanded if {self.reading.thesaurus, self.reading.numbers} <= {"both", "off"} else \
            self._expand(corrected, "bm25")
        sentences = self._sentences(corrected)
        vectors = self.embedder.encode([expanded] + [self._expand(s, "both") for s in sentences])
        channels = self.channels(vectors[0], lexical)
        if sentences:
            self._fuse_sentences(channels, vectors[1:])
        return PreparedQuery(text, corrected, expanded, vectors[0], channels, notice, lexical=lexical)

    def _expand(self, text: str, channel: str) -> str:
        """``text`` with what ``channel`` ("both": the model; "bm25": BM25) reads appended in one
        bracket: acronym expansions always, thesaurus additions and numbers as ``reading`` says."""
        r = self.reading
        acronyms = expand_acronyms(text, self.glossary)
        adds = [acronyms[len(text) + 2:-1]] if acronyms != text else []
        if r.thesaurus == channel or r.thesaurus == "both":
            adds += self._corpus_words(self.thesaurus.additions(text), channel)
        if r.numbers == channel or r.numbers == "both":
            adds += number_additions(text)
        return f"{text} ({'; '.join(adds)})" if adds else text

    def _corpus_words(self, additions: list[str], channel: str) -> list[str]:
        if not (self.reading.corpus_only and channel == "both"):
            return additions
        return [a for a in additions if any(t in self.lexicon.doc_freq for t in content_tokens(a))]

    def _sentences(self, text: str) -> list[str]:
        """The sentences of a query long enough to be read one by one (else none)."""
        if self.reading.sentences == "off":
            return []
        sentences = split_sentences(text)
        return sentences if len(sentences) >= self.reading.min_sentences else []

    def _fuse_sentences(self, channels: dict[str, np.ndarray], vectors: np.ndarray) -> None:
        """Blend into the dense and answer channels the best (or mean) similarity of the query's
        sentences, each read alone: a situation told in five sentences asks one thing in one of them."""
        w = self.reading.sentence_weight
        per = [self.passage_similarities(v) for v in vectors]
        fused = np.max(per, axis=0) if self.reading.sentences == "max" else np.mean(per, axis=0)
        channels["dense"] = (1 - w) * channels["dense"] + w * fused[self.rows.chunks]
        channels["answer"] = (1 - w) * channels["answer"] + w * fused[self.rows.chunk_answers]

    def _truncate(self, text: str) -> tuple[str, str]:
        """Cut a very long query to what the model reads, saying so."""
        if len(text) > QUERY_MAX_CHARS:
            cut = text[:QUERY_MAX_CHARS].rsplit(" ", 1)[0] or text[:QUERY_MAX_CHARS]
            return cut, f"Your query was {len(text):,} characters long; only its first {len(cut):,} were searched."
        if self.embedder.token_count(text) > self.embedder.max_tokens:
            return text, f"Your query is longer than the {self.embedder.max_tokens} word pieces the model reads; the rest was ignored."
        return text, ""

    def channels(self, vector: np.ndarray, lexical_text: str = "", weights: Weights | None = None) -> dict[str, np.ndarray]:
        """Each channel's score for every chunk row, in chunk-row order. The question channel is
        computed only when it weighs something; BM25 only with text to match."""
        weights = weights or self.weights
        sims = self.passage_similarities(vector)
        n = len(self.rows.chunks)
        out = {"dense": sims[self.rows.chunks], "answer": sims[self.rows.chunk_answers],
               "bm25": self.lexicon.scores(lexical_text) if lexical_text else np.zeros(n, np.float32),
               "question": np.zeros(n, np.float32)}
        if weights.question and len(self.questions):
            out["question"] = (self.data.question_vectors @ vector)[self.rows.chunk_questions]
        return out

    def passage_similarities(self, vector: np.ndarray) -> np.ndarray:
        """Cosine of the query with every passage row. A large library (approximate index) scores
        only the rows FAISS finds best, plus their whole answers; the rest get -1."""
        if self.exact:
            return self.vectors @ vector
        sims = np.full(len(self.passages), -1.0, dtype=np.float32)
        _, ids = self.data.index.search(vector[None, :].astype(np.float32), min(CANDIDATES, len(self.passages)))
        rows = ids[0][ids[0] >= 0]
        rows = np.union1d(rows, self.rows.answer_of[rows])
        sims[rows] = self.vectors[rows] @ vector
        return sims

    def score(self, channels: dict[str, np.ndarray], mode: str = "hybrid", weights: Weights | None = None) -> np.ndarray:
        """One score per chunk: the weighted sum of the channels ("hybrid"), or one channel alone."""
        weights = weights or self.weights
        if mode == "dense":
            return channels["answer"] + DENSE_TIE_BREAK * channels["dense"]
        bm25 = channels["bm25"]
        if mode == "bm25":
            return bm25
        top = float(bm25.max()) if len(bm25) else 0.0
        lexical = bm25 / top if top > 0 else bm25
        return (weights.dense * channels["dense"] + weights.answer * channels["answer"]
                + weights.question * channels["question"] + weights.bm25 * lexical)

    def _scores(self, prepared: PreparedQuery, mode: str) -> np.ndarray:
        if mode not in MODES:
            raise UsageError(f"unknown mode {mode!r}: expected one of {', '.join(MODES)}")
        if mode not in prepared._scores:
            prepared._scores[mode] = self.score(prepared.channels, mode)
        return prepared._scores[mode]

    # -- ranking ---------------------------------------------------------------------------------
    @staticmethod
    def _check_k(k) -> None:
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise UsageError(f"k must be a whole number of at least 1, not {k!r}")

    def _rank(self, scores: np.ndarray, keep: np.ndarray, k: int, labelled: bool, confidence: str = "high") -> list[Hit]:
        candidates = np.flatnonzero(keep)
        order = candidates[np.argsort(-scores[candidates], kind="stable")][: min(k, LIBRARY_MAX_K)]
        best = float(scores[order[0]]) if len(order) else 0.0
        return [self._hit(rank, int(j), float(scores[j]),
                          relevance_label(float(scores[j]), best, confidence) if labelled else "")
                for rank, j in enumerate(order, start=1)]

    def query(self, text: str | PreparedQuery, k: int = DEFAULT_K, speakers=None, mode: str = "hybrid",
              sources=None) -> SearchResult:
        """Search, returning hits and whether nothing in the corpus answers the query well.

        Args:
            text: the query, or one already prepared with ``prepare_query``.
            k: how many passages (at most config.LIBRARY_MAX_K).
            speakers: initials to keep; with several documents, every document's speaker of those initials.
            mode: "hybrid" (shipped), or "dense" / "bm25" alone for the evaluation.
            sources: document names to keep.
        Returns:
            A SearchResult. Raises UsageError for an empty query, a bad k or an unknown filter.
        """
        self._check_k(k)
        speakers = self.catalog.check_speakers(speakers)
        sources = self.catalog.check_sources(sources)
        prepared = text if isinstance(text, PreparedQuery) else self.prepare_query(text)
        scores = self._scores(prepared, mode)
        confidence = self.confidence(prepared, scores)
        hits = self._rank(scores, self.rows.mask(speakers, sources), k, labelled=mode == "hybrid", confidence=confidence)
        closest = self.closest_questions(prepared, sources=sources) if confidence != "high" else []
        return SearchResult(query=prepared.text, low_confidence=confidence == "low", hits=hits, notice=prepared.notice,
                            closest_questions=closest, confidence=confidence)

    def search(self, text: str, k: int = DEFAULT_K, speakers=None, sources=None) -> list[Hit]:
        """The hits of ``query`` alone."""
        return self.query(text, k, speakers, sources=sources).hits

    def search_by_vector(self, vector: np.ndarray, k: int = DEFAULT_K, speakers=None, sources=None) -> list[Hit]:
        """Hits for a query vector already in hand (normalised, the index's dimension): the dense and
        answer channels alone, since there are no words for BM25.

        Args:
            vector: shape (dimension,).
            k, speakers, sources: as for ``query``.
        Returns:
            The ranked hits.
        """
        self._check_k(k)
        vector = np.asarray(vector, dtype=np.float32)
        if vector.shape != (int(self.embedder.dim),):
            raise UsageError(f"the vector has shape {vector.shape}, expected ({self.embedder.dim},)")
        scores = self.score(self.channels(vector))
        return self._rank(scores, self.rows.mask(self.catalog.check_speakers(speakers), self.catalog.check_sources(sources)),
                          k, labelled=True)

    def evidence(self, prepared: PreparedQuery, scores: np.ndarray | None = None) -> float:
        """How well the corpus answers the query at all, whatever the filters and the ranking mode
        (see COVERAGE_WEIGHT): read from the hybrid scores (``scores`` is not needed)."""
        hybrid = self._scores(prepared, "hybrid")
        if not len(hybrid):
            return 0.0
        top = int(np.argmax(hybrid))
        anywhere, _ = self.lexicon.coverage(prepared.corrected, top)
        _, in_top = self.lexicon.coverage(prepared.lexical or prepared.corrected, top)
        return float(hybrid[top]) + COVERAGE_WEIGHT * (anywhere + in_top)

    def confidence(self, prepared: PreparedQuery, scores: np.ndarray | None = None) -> str:
        """ "high", "medium" or "low" for the query's evidence (confidence.py)."""
        return tier(self.evidence(prepared))

    def compare(self, text: str | PreparedQuery, k: int = 3, sources=None) -> CompareResult:
        """Each speaker's best passages for the same query, side by side: one preparation, one
        scoring, a mask per speaker. ``hits`` ranks every speaker together and orders compare's
        rows; a question every speaker answered whose best passage is a strong match leads it
        (see ``joint_order``)."""
        self._check_k(k)
        sources = self.catalog.check_sources(sources)
        prepared = text if isinstance(text, PreparedQuery) else self.prepare_query(text)
        result = self.query(prepared, k, sources=sources)
        scores = self._scores(prepared, "hybrid")
        by_speaker = {s: self._rank(scores, self.rows.mask([s], sources), k, labelled=True,
                                    confidence=result.confidence)
                      for s in self.catalog.speakers_of(sources)}
        return CompareResult(query=result.query, speakers=by_speaker, confidence=result.confidence,
                             low_confidence=result.low_confidence,
                             hits=self.joint_order(result.hits, scores, sources))

    def joint_order(self, hits: list[Hit], scores: np.ndarray, sources=None) -> list[Hit]:
        """Compare's joint ranking: ``hits`` as search ranks them, except that a question every
        speaker of it answered, which matches strongly (its best hit is labelled "strong match") and
        on which each of them says something that matches (best passage at least a good match),
        comes first if one is among the hits, so that both answers lead the rows. Ranks are renumbered."""
        lead = next((h for h in hits if h.relevance == "strong match" and self._all_match(h, scores, sources)), None)
        if lead is None or (hits[0].source, hits[0].question_number) == (lead.source, lead.question_number):
            return hits
        key = (lead.source, lead.question_number)
        ordered = [h for h in hits if (h.source, h.question_number) == key] + \
                  [h for h in hits if (h.source, h.question_number) != key]
        return [replace(h, rank=rank) for rank, h in enumerate(ordered, start=1)]

    def _all_match(self, hit: Hit, scores: np.ndarray, sources=None) -> bool:
        """Whether two or more speakers answered the hit's question and each one's best passage on
        it scores at least a good match."""
        record = self.catalog.question(hit.source, hit.question_number)
        if record is None or len(record.speakers) < 2:
            return False
        on_it = (self.rows.chunk_sources == hit.source) & (self.rows.chunk_numbers == hit.question_number)
        return all(np.any(on_it & (self.rows.chunk_speakers == s))
                   and float(scores[on_it & (self.rows.chunk_speakers == s)].max()) >= GOOD_FROM
                   for s in record.speakers)

    def closest_questions(self, query: str | PreparedQuery, n: int = 3, sources=None) -> list[QuestionMatch]:
        """The audience questions nearest the query, for when the panel did not answer it."""
        sources = self.catalog.check_sources(sources)
        if not self.questions:
            return []
        prepared = query if isinstance(query, PreparedQuery) else self.prepare_query(query)
        sims = self.data.question_vectors @ prepared.vector
        rows = [i for i in np.argsort(-sims, kind="stable") if not sources or self.questions[i].source in sources]
        return [QuestionMatch(source=q.source, title=q.title, number=q.number, question=q.question,
                              score=round(float(sims[i]), 4), speakers=q.speakers)
                for i in rows[:n] for q in [self.questions[int(i)]]]

    def _hit(self, rank: int, chunk: int, score: float, relevance: str = "") -> Hit:
        p = self.passages[self.rows.chunks[chunk]]
        return Hit(rank=rank, score=round(score, 4), question_number=p.question_number, question=p.question,
                   speaker=p.speaker, text=p.text, passage_id=p.passage_id, source=p.source,
                   position=p.position, relevance=relevance,
                   title=self.titles.get(p.source, ""), speaker_name=self.catalog.speaker_name(p.source, p.speaker))
