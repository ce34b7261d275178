"""Topics and who's who (issue #12): the library's answers grouped into topics with readable labels,
and the words that set each speaker apart.

Topics are found from the index's own vectors, one per whole answer (a speaker's answer to one
audience question): k-means (FAISS's, cluster.py) over the unit vectors, with the number of topics
chosen by silhouette (cosine) between ceil(sqrt(n/2)) and ceil(sqrt(2n)), from a fixed random state. Each chunk passage
takes its answer's topic. docs/topics.md says why this and not BERTopic (measured: the same clusters,
306 MB more to install, seconds more to import, and labels that are word lists).

A topic is labelled by class-based TF-IDF (the topic's answers, and its audience questions once
each, as one class) over words, and the label is made of readable phrases of those words, not of
stems: a phrase never starts or ends on a stop word, keeps its hyphens and capitals as written most
often ("experts by experience", "QI training", "co-production"), and must read as a term, not a
piece of a sentence (Vocabulary). The label is the best phrase, joined by "and" to the next best
one that shares no word with it (nor spells out its acronym). Speakers' terms are the same
c-TF-IDF over single words, one class per (document, speaker).

    answers, vectors, questions = answers_from_passages(passages, passage_vectors)
    topics = compute_topics(answers, vectors, questions)
    topics.labels; topics.topic_of(source, 4, "AC"); topics.passage_topics(passages)
    Topics.from_json(topics.to_json())
    speaker_terms(answers); speaker_topics(topics, answers)
    # topics_stored.py: all of the above as the build stores it (topics.json in the index folder)

Deterministic: the same answers and vectors give the same topics, labels and JSON, byte for byte.
"""
from __future__ import annotations

import hashlib
import math
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

from .cluster import kmeans, restarts, silhouette
from .models import Passage
from .topic_labels import RankedPhrase, Stems, Vocabulary, content_stems, phrase_label, overlaps, phrases_in, rank_phrases, shown_form, c_tf_idf

AnswerKey = tuple[str, int, str]  # (source, question number, speaker initials)
AnswerInput = tuple[str, int, str, str]  # (source, question number, speaker initials, answer text)
SpeakerKey = tuple[str, str]  # (source, initials): initials are only unique within one document

FORMAT_VERSION = 1
# Bump when compute_topics, the labeller or speaker_terms would give other output for the same input:
# a build then recomputes the topics instead of reusing the stored ones (topics_stored.py, index.py).
METHOD_VERSION = 2  # 2: FAISS k-means (cluster.py); a stored topics.json of another version is recomputed
RANDOM_STATE = 0
TERMS_PER_TOPIC = 8
SILHOUETTE_SAMPLE = 2000  # above this many answers, silhouette is estimated on a fixed sample
MAX_K_TRIED = 10  # at most this many numbers of topics are tried (evenly spread over the range)

# -- the topics -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Topic:
    id: int
    label: str
    terms: tuple[str, ...]  # its best phrases, as the label is made from
    answers: tuple[AnswerKey, ...]  # in library order

    def to_json(self) -> dict:
        return {"id": self.id, "label": self.label, "terms": list(self.terms),
                "answers": [list(a) for a in self.answers]}


class Topics:
    """The topics of a library's answers: each answer (source, number, speaker) in exactly one.

    Topic ids are 0..len-1, largest topic first. Read-only.
    """

    def __init__(self, topics: Sequence[Topic], method: dict | None = None, answers_sha256: str = ""):
        self.topics: tuple[Topic, ...] = tuple(topics)
        self.method = dict(method or {})
        self.answers_sha256 = answers_sha256
        self._of: dict[AnswerKey, int] = {}
        for t in self.topics:
            for a in t.answers:
                if a in self._of:
                    raise ValueError(f"answer {a} is in two topics")
                self._of[a] = t.id
        if [t.id for t in self.topics] != list(range(len(self.topics))):
            raise ValueError("topic ids must be 0..n-1 in order")

    def __len__(self) -> int:
        return len(self.topics)

    def __iter__(self):
        return iter(self.topics)

    def __eq__(self, other) -> bool:
        return isinstance(other, Topics) and self.to_json() == other.to_json()

    @property
    def labels(self) -> list[str]:
        """Each topic's label, by topic id."""
        return [t.label for t in self.topics]

    def label_of(self, topic: int) -> str:
        return self.topics[topic].label

    def topic_of(self, source: str, number: int, speaker: str) -> int:
        """The topic of one answer; KeyError if these topics were not computed with it."""
        try:
            return self._of[(source, int(number), speaker)]
        except KeyError:
            raise KeyError(f"no topic for {source} question {number} by {speaker}: "
                           "the topics were computed from another library") from None

    def assignments(self) -> dict[AnswerKey, int]:
        """{(source, number, speaker): topic id} for every answer."""
        return dict(self._of)

    def answers_of(self, topic: int) -> list[AnswerKey]:
        return list(self.topics[topic].answers)

    def questions_of(self, topic: int) -> list[tuple[str, int]]:
        """The audience questions (source, number) with an answer in the topic, in library order."""
        return list(dict.fromkeys((s, n) for s, n, _ in self.topics[topic].answers))

    def speakers_of(self, topic: int) -> list[tuple[SpeakerKey, int]]:
        """The speakers (source, initials) with answers in the topic, and how many: most first."""
        counts = Counter((s, who) for s, _, who in self.topics[topic].answers)
        return sorted(counts.items(), key=lambda kv: -kv[1])  # stable: ties in the order they spoke

    def passage_topics(self, passages: Iterable[Passage]) -> list[int]:
        """Each passage's topic, chunk or whole answer: its answer's."""
        return [self.topic_of(p.source, p.question_number, p.speaker) for p in passages]

    def to_json(self) -> dict:
        return {"format_version": FORMAT_VERSION, "method": self.method, "answers_sha256": self.answers_sha256,
                "topics": [t.to_json() for t in self.topics]}

    @classmethod
    def from_json(cls, data) -> "Topics":
        """Topics as to_json wrote them; ValueError for anything else."""
        try:
            if not isinstance(data, dict) or data.get("format_version") != FORMAT_VERSION:
                raise ValueError("not topics of this version")
            topics = []
            for t in data["topics"]:
                answers = tuple((str(s), int(n), str(who)) for s, n, who in t["answers"])
                if not isinstance(t["label"], str) or not all(isinstance(x, str) for x in t["terms"]):
                    raise ValueError("a label or term is not text")
                topics.append(Topic(int(t["id"]), t["label"], tuple(t["terms"]), answers))
            method = data.get("method", {})
            digest = data.get("answers_sha256", "")
            if not isinstance(method, dict) or not isinstance(digest, str):
                raise ValueError("method or answers_sha256 of the wrong kind")
            return cls(topics, method, digest)
        except (KeyError, TypeError, ValueError) as err:
            raise ValueError(f"not a topics file: {err}") from None


def answers_sha256(answers: Sequence[AnswerInput]) -> str:
    """A digest of the answers topics are computed from (keys and texts): differs, the topics are stale."""
    h = hashlib.sha256()
    for source, number, speaker, text in answers:
        h.update(f"{source}\x1f{int(number)}\x1f{speaker}\x1f{text}\x1e".encode("utf-8"))
    return h.hexdigest()


def answers_from_passages(passages: Sequence[Passage], vectors: np.ndarray
                          ) -> tuple[list[AnswerInput], np.ndarray, dict[tuple[str, int], str]]:
    """(answers, their vectors, {(source, number): audience question}) from an index's passages
    and their vectors (row i is passage i).

    An answer's vector is its whole-answer passage's (kind "answer"): the index embeds a long answer
    whole, question in front. An answer of one chunk has none: that chunk is the whole answer. Measured
    on the seed, the whole-answer vectors group better than the mean of the chunks (docs/topics.md).
    """
    vectors = np.asarray(vectors, dtype=np.float32)
    if len(vectors) != len(passages):
        raise ValueError(f"{len(passages)} passages but {len(vectors)} vectors")
    chunks: dict[AnswerKey, list[int]] = {}
    whole: dict[AnswerKey, int] = {}
    questions: dict[tuple[str, int], str] = {}
    for i, p in enumerate(passages):
        key = (p.source, p.question_number, p.speaker)
        chunks.setdefault(key, [])
        questions.setdefault((p.source, p.question_number), p.question)
        if p.kind == "answer":
            whole[key] = i
        else:
            chunks[key].append(i)
    answers, rows = [], []
    for key, rows_of in chunks.items():
        ordered = sorted(rows_of, key=lambda i: passages[i].position)
        if key in whole:
            text, vec = passages[whole[key]].text, vectors[whole[key]]
        else:
            text, vec = " ".join(passages[i].text for i in ordered), vectors[ordered].mean(axis=0)
        answers.append((*key, text))
        rows.append(vec)
    out = np.array(rows, dtype=np.float32).reshape(len(rows), vectors.shape[1] if vectors.ndim == 2 else 0)
    return answers, _unit(out), questions


def _unit(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.where(norms > 0, norms, 1.0)


def topic_range(n: int) -> tuple[int, int]:
    """The numbers of topics tried for n answers: ceil(sqrt(n/2)) to ceil(sqrt(2n)), within 2..n-1."""
    lo = max(2, math.ceil(math.sqrt(n / 2)))
    hi = max(lo, math.ceil(math.sqrt(2 * n)))
    return min(lo, n - 1), min(hi, n - 1)


def _cluster(x: np.ndarray, k: int | None, random_state: int) -> tuple[np.ndarray, dict]:
    """(labels, what was done) for unit vectors x: k-means with k by silhouette unless given.

    cluster.py runs FAISS's k-means (the clusters scikit-learn's KMeans finds on the seed, without
    its 1.3 s of imports at every build) and the silhouette score.
    """
    from threadpoolctl import threadpool_limits

    n = len(x)
    if n < 4 and k is None or k == 1:  # too few to compare groupings: one topic
        return np.zeros(n, dtype=np.int64), {"k": 1, "silhouette": None}
    with threadpool_limits(1):  # one thread: BLAS threads fight over 2 shared cores and gain nothing here
        if k is not None:
            k = max(1, min(int(k), n))
            return kmeans(x, k, restarts(n), random_state)[0], {"k": k, "silhouette": None}
        lo, hi = topic_range(n)
        ks = sorted({round(v) for v in np.linspace(lo, hi, min(MAX_K_TRIED, hi - lo + 1))})
        if n > SILHOUETTE_SAMPLE:
            rows = np.random.default_rng(random_state).choice(n, SILHOUETTE_SAMPLE, replace=False)
        else:
            rows = np.arange(n)
        sample = x[rows]
        dist = np.clip(1.0 - sample @ sample.T, 0.0, None)
        np.fill_diagonal(dist, 0.0)
        best = None
        for kk in ks:
            labels = kmeans(x, kk, restarts(n), random_state)[0]
            if len(set(labels[rows])) < 2:
                continue
            score = silhouette(dist, labels[rows])
            if best is None or score > best[0] + 1e-9:
                best = (score, kk, labels)
        if best is None:
            return np.zeros(n, dtype=np.int64), {"k": 1, "silhouette": None}
        return best[2].astype(np.int64), {"k": best[1], "silhouette": round(best[0], 4), "k_tried": ks}


def compute_topics(answers: Sequence[AnswerInput], vectors: np.ndarray,
                   questions: dict[tuple[str, int], str] | None = None, *, k: int | None = None,
                   random_state: int = RANDOM_STATE) -> Topics:
    """Group answers into topics and label each.

    Args:
        answers: (source, number, speaker, text) of each whole answer, each once.
        vectors: (len(answers), dim) their vectors (answers_from_passages gives both from an index).
        questions: {(source, number): audience question}: its words help name the topic (optional).
        k: the number of topics; by default chosen by silhouette (topic_range).
        random_state: k-means's seed; the same inputs give the same topics.
    """
    answers = [(str(s), int(n), str(who), str(text)) for s, n, who, text in answers]
    keys = [a[:3] for a in answers]
    if len(set(keys)) != len(keys):
        raise ValueError("an answer (source, number, speaker) is given twice")
    x = np.asarray(vectors, dtype=np.float64)
    if x.ndim != 2 or len(x) != len(answers):
        raise ValueError(f"{len(answers)} answers need a (n, dim) array of {len(answers)} vectors, got {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError("vectors hold NaN or infinity")
    method = {"algorithm": "kmeans (faiss)", "random_state": random_state, "vectors": "whole answers, unit length",
              "labels": "c-TF-IDF over phrases of the answers and their questions"}
    digest = answers_sha256(answers)
    if not answers:
        return Topics([], {**method, "k": 0}, digest)
    raw, info = _cluster(_unit(x), k, random_state)
    method.update(info)
    # Topic ids: largest first, then by where the topic's first answer comes in the library.
    first = {}
    for i, c in enumerate(raw):
        first.setdefault(int(c), i)
    sizes = Counter(int(c) for c in raw)
    order = sorted(sizes, key=lambda c: (-sizes[c], first[c]))
    renumber = {c: i for i, c in enumerate(order)}
    labels = [renumber[int(c)] for c in raw]
    members = [[i for i, c in enumerate(labels) if c == t] for t in range(len(order))]
    questions = questions or {}
    docs = []
    for m in members:
        texts = [answers[i][3] for i in m]
        texts += [questions[q] for q in dict.fromkeys(keys[i][:2] for i in m) if q in questions]
        docs.append(texts)
    ranked = rank_phrases(docs, Stems())
    taken: set[str] = set()
    topics = []
    for t, m in enumerate(members):
        label = phrase_label(ranked[t], taken)
        terms = _distinct_terms(ranked[t], TERMS_PER_TOPIC)
        topics.append(Topic(t, label, tuple(terms), tuple(keys[i] for i in m)))
    return Topics(topics, method, digest)


def _distinct_terms(ranked: list[RankedPhrase], top: int) -> list[str]:
    """The best phrases, skipping one whose words a better one already has ("training" after "QI training")."""
    out, seen = [], []
    for r in ranked:
        if any(content_stems(r.key) <= content_stems(s.key) or r.acronym and overlaps(r, s) for s in seen):
            continue
        out.append(r.text)
        seen.append(r)
        if len(out) == top:
            break
    return out


def topics_from_passages(passages: Sequence[Passage], vectors: np.ndarray, **kwargs) -> Topics:
    """compute_topics for an index's passages and vectors (row i is passage i)."""
    answers, answer_vectors, questions = answers_from_passages(passages, vectors)
    return compute_topics(answers, answer_vectors, questions, **kwargs)


# -- who's who ------------------------------------------------------------------------------------
def speaker_terms(answers: Sequence[AnswerInput], top: int = 8) -> dict[SpeakerKey, list[str]]:
    """{(source, speaker): their ``top`` most distinctive words}: c-TF-IDF with one class per
    speaker over their answers (stop words dropped; a stem shown as the word it most often is)."""
    stems = Stems()
    by_speaker: dict[SpeakerKey, Counter] = {}
    surfaces: dict[tuple[str, ...], Counter] = defaultdict(Counter)
    spread: dict[SpeakerKey, Counter] = {}
    found_per_answer = [phrases_in(a[3], stems) for a in answers]
    vocabulary = Vocabulary([c for found in found_per_answer for c in found], stems)
    for (source, _, speaker, _), found in zip(answers, found_per_answer):
        found = [f for f in found if len(f.key) == 1 and vocabulary.readable(f)]
        who = (source, speaker)
        by_speaker.setdefault(who, Counter()).update(f.key for f in found)
        spread.setdefault(who, Counter()).update({f.key for f in found})
        for f in found:
            surfaces[f.key][f.surface] += 1
    speakers = list(by_speaker)
    weights = c_tf_idf([by_speaker[s] for s in speakers])
    out = {}
    for who, w in zip(speakers, weights):
        # ties (common with few answers): the word more of their answers use, then alphabetical
        ranked = sorted(w, key=lambda key: (-round(w[key], 12), -spread[who][key], key))
        out[who] = [shown_form(surfaces[key]) for key in ranked[:top]]
    return out


def speaker_topics(topics: Topics, answers: Iterable[AnswerInput | AnswerKey]) -> dict[SpeakerKey, list[tuple[str, int]]]:
    """{(source, speaker): [(topic label, how many of their answers are in it)]}, most first (ties by topic id)."""
    counts: dict[SpeakerKey, Counter] = {}
    for a in answers:
        source, number, speaker = a[0], a[1], a[2]
        counts.setdefault((source, speaker), Counter())[topics.topic_of(source, number, speaker)] += 1
    return {who: [(topics.label_of(t), n) for t, n in sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))]
            for who, c in counts.items()}

