"""Where they agree: line up two or more panelists' answers to one question sentence by sentence.

Each speaker's answer is split into sentences (``passages.split_sentences``, the splitter the
index uses). Sentences of different speakers are paired when their embeddings' cosine similarity
is at least ``THRESHOLD``, one-to-one: the most similar pair is taken first, and a sentence in a
pair takes part in no other (greedy matching). Paired sentences are "Both said"; every other
sentence is "Only <speaker> said". Sentences are quoted exactly, never paraphrased; every sentence
of every answer appears exactly once. Nothing here claims that speakers disagree: a sentence that
is only one speaker's means only that the other did not say the same thing.

Sentences under ``MIN_WORDS`` words ("Yes.", "Absolutely!") carry no point to match: they are
never paired and stay with their speaker. The threshold was chosen on hand labels of the seed's
two-answer questions (tests/data/agreement_labels.json; docs/agreement.md).
"""
from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from typing import Iterable

import numpy as np

from .models import QuestionRecord, Record
from .passages import split_sentences

THRESHOLD = 0.44  # middle of the plateau 0.37-0.51 on the hand labels (docs/agreement.md)
MIN_WORDS = 4


@dataclass(frozen=True)
class Pair(Record):
    """Two speakers' sentences that make the same point, quoted exactly."""

    a_speaker: str  # the speaker who spoke first in the question
    a_sentence: str
    b_speaker: str
    b_sentence: str
    similarity: float  # cosine of the two sentences' embeddings
    a_index: int = 0  # 0-based position of the sentence in a_speaker's answer
    b_index: int = 0


@dataclass(frozen=True)
class Agreement:
    """One question's answers grouped: "Both said" pairs and each speaker's own sentences."""

    source: str
    question_number: int
    question: str
    speakers: list[str]  # in the order they spoke
    both: list[Pair]  # in the reading order of the first speaker's answer
    only: dict[str, list[str]]  # speaker -> sentences no other speaker matched, in reading order
    threshold: float = THRESHOLD

    def to_json(self) -> dict:
        return {"source": self.source, "question_number": self.question_number, "question": self.question,
                "speakers": list(self.speakers), "threshold": self.threshold,
                "both": [p.to_json() for p in self.both], "only": {s: list(v) for s, v in self.only.items()}}


def only_label(speaker: str) -> str:
    """The heading of a speaker's own sentences: 'Only AC said'."""
    return f"Only {speaker} said"


def answer_sentences(question: QuestionRecord) -> dict[str, list[str]]:
    """Each speaker's sentences (all their answers to the question, in order); speakers without any left out."""
    out: dict[str, list[str]] = {}
    for a in question.answers:
        out.setdefault(a.speaker, []).extend(split_sentences(a.text))
    return {s: v for s, v in out.items() if v}


def _match(sentences: dict[str, list[str]], vectors: dict[str, np.ndarray], threshold: float,
           mutual: bool) -> list[Pair]:
    """Greedy one-to-one matching of sentences across speakers by cosine similarity.

    With ``mutual`` a pair must also be each sentence's best among the other speaker's sentences.
    """
    speakers = list(sentences)
    candidates = []
    for a, b in combinations(speakers, 2):
        sims = vectors[a] @ vectors[b].T
        long_a = np.array([len(s.split()) >= MIN_WORDS for s in sentences[a]])
        long_b = np.array([len(s.split()) >= MIN_WORDS for s in sentences[b]])
        sims = np.where(long_a[:, None] & long_b[None, :], sims, -np.inf)
        for i, j in zip(*np.nonzero(sims >= threshold)):
            if mutual and (sims[i, j] < sims[i].max() or sims[i, j] < sims[:, j].max()):
                continue
            candidates.append((float(sims[i, j]), a, int(i), b, int(j)))
    candidates.sort(key=lambda c: (-c[0], speakers.index(c[1]), c[2], speakers.index(c[3]), c[4]))
    used: set[tuple[str, int]] = set()
    pairs = []
    for sim, a, i, b, j in candidates:
        if (a, i) in used or (b, j) in used:
            continue
        used |= {(a, i), (b, j)}
        pairs.append(Pair(a, sentences[a][i], b, sentences[b][j], round(sim, 4), i, j))
    return sorted(pairs, key=lambda p: (speakers.index(p.a_speaker), p.a_index, speakers.index(p.b_speaker)))


def _group(question: QuestionRecord, sentences: dict[str, list[str]], vectors: dict[str, np.ndarray],
           threshold: float, mutual: bool) -> Agreement:
    both = _match(sentences, vectors, threshold, mutual)
    paired = {(p.a_speaker, p.a_index) for p in both} | {(p.b_speaker, p.b_index) for p in both}
    only = {s: [t for i, t in enumerate(v) if (s, i) not in paired] for s, v in sentences.items()}
    return Agreement(question.source, question.number, question.question, list(sentences), both, only, threshold)


def agreements(questions, embedder, threshold: float = THRESHOLD, mutual: bool = False) -> list[Agreement]:
    """The grouping of every question two or more speakers answered, with one encode call for all.

    Args:
        questions: QuestionRecords, or a Catalog (its ``.questions``).
        embedder: a loaded model (``Searcher.embedder``, ``embed.load_embedder()``).
        threshold: least cosine similarity for "Both said".
        mutual: also require each pair to be the two sentences' mutual best match.
    Returns:
        One Agreement per question with at least two speakers, in the given order.
    """
    questions: Iterable[QuestionRecord] = getattr(questions, "questions", questions)
    todo = [(q, s) for q in questions if len(s := answer_sentences(q)) >= 2]
    texts = [t for _, s in todo for v in s.values() for t in v]
    if not texts:
        return []
    matrix = np.asarray(embedder.encode(texts), dtype=np.float32)
    matrix = matrix / np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)  # no write to its array
    out, row = [], 0
    for q, sentences in todo:
        vectors = {}
        for speaker, v in sentences.items():
            vectors[speaker], row = matrix[row:row + len(v)], row + len(v)
        out.append(_group(q, sentences, vectors, threshold, mutual))
    return out


def agreement(question: QuestionRecord, embedder, threshold: float = THRESHOLD,
              mutual: bool = False) -> Agreement | None:
    """One question's "Both said" / "Only <speaker> said" grouping; None if fewer than two speakers answered."""
    found = agreements([question], embedder, threshold, mutual)
    return found[0] if found else None


# -- scoring against hand labels ---------------------------------------------------------------------
def _max_matching(edges: set[tuple[int, int]]) -> int:
    """Size of the largest one-to-one matching in a small bipartite graph (augmenting paths)."""
    partner: dict[int, int] = {}

    def augment(i: int, seen: set[int]) -> bool:
        for a, j in edges:
            if a == i and j not in seen:
                seen.add(j)
                if j not in partner or augment(partner[j], seen):
                    partner[j] = i
                    return True
        return False

    return sum(augment(i, set()) for i in {a for a, _ in edges})


def score(found: list[Agreement], labels: dict) -> dict:
    """Precision and recall of "Both said" against ``labels`` (tests/data/agreement_labels.json).

    A predicted pair is right when the labels call it "same". Recall's denominator is, per question,
    the largest one-to-one matching of the "same" pairs: one sentence can sit in only one pair, so
    that is all any one-to-one grouping could find. ``related`` counts predicted pairs the labels
    call same-topic but not the same point. Raises ValueError if the sentences differ from the labels'.
    """
    by_number = {a.question_number: a for a in found if a.source == labels["source"]}
    predicted = right = related = possible = 0
    for q in labels["questions"]:
        a = by_number.get(q["number"])
        if a is None:
            raise ValueError(f"no grouping for labelled question {q['number']}")
        got = set()
        for p in a.both:  # as (index in the labels' first speaker's answer, index in the second's)
            pair = {p.a_speaker: (p.a_index, p.a_sentence), p.b_speaker: (p.b_index, p.b_sentence)}
            if any(q["sentences"][s][i] != text for s, (i, text) in pair.items()):
                raise ValueError(f"Q{q['number']}: the labels' sentences differ from split_sentences'")
            got.add(tuple(pair[s][0] for s in q["sentences"]))
        same = {tuple(l[s] for s in q["sentences"]) for l in q["same"]}
        predicted += len(got)
        right += len(got & same)
        related += len(got & {tuple(l[s] for s in q["sentences"]) for l in q["related"]})
        possible += _max_matching(same)
    return {"predicted": predicted, "right": right, "related": related, "possible": possible,
            "precision": right / predicted if predicted else 1.0, "recall": right / possible if possible else 1.0}
