"""The topics as the build stores them (issue #12): topics.json in the index folder, written by
index.py in the same swap as the other index files and checked by index_load.py against the
manifest's sha256. It holds the library's topics, each speaker's distinctive terms and each
speaker's topics (topics.py), so the page computes nothing, and what they were computed from, so a
build with the same inputs reuses them instead of clustering again.

    stored = library_topics(passages, passage_vectors, model_id)
    stored.topics; stored.speaker_terms; stored.speaker_topics; stored.inputs
    LibraryTopics.from_json(stored.to_json()) == stored
    topic_inputs(passages, model_id) == stored.inputs     # True: reuse the stored topics
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from .models import Passage
from .topics import (METHOD_VERSION, AnswerInput, SpeakerKey, Topics, answers_from_passages, answers_sha256,
                     compute_topics, speaker_terms, speaker_topics)

STORED_VERSION = 1  # the layout of topics.json (LibraryTopics.to_json)


@dataclass(frozen=True)
class LibraryTopics:
    """Everything the Topics view and Who's who show, computed once when the index is built and
    stored in its folder as topics.json (index.py writes it, index_load.py reads and checks it).

    ``inputs`` says what it was computed from (the answers' digest, the audience questions' digest,
    the model, METHOD_VERSION): a build whose inputs are the same reuses the stored file.
    """

    topics: Topics
    speaker_terms: dict[SpeakerKey, list[str]]
    speaker_topics: dict[SpeakerKey, list[tuple[str, int]]]
    inputs: dict

    def to_json(self) -> dict:
        """Plain JSON, deterministic: the same library gives the same bytes (json.dumps)."""
        speakers = list(dict.fromkeys([*self.speaker_terms, *self.speaker_topics]))
        return {"format_version": STORED_VERSION, "inputs": dict(self.inputs), "topics": self.topics.to_json(),
                "speakers": [{"source": s, "speaker": who, "terms": list(self.speaker_terms.get((s, who), [])),
                              "topics": [[label, n] for label, n in self.speaker_topics.get((s, who), [])]}
                             for s, who in speakers]}

    @classmethod
    def from_json(cls, data) -> "LibraryTopics":
        """As to_json wrote it; ValueError for anything else."""
        try:
            if not isinstance(data, dict) or data.get("format_version") != STORED_VERSION:
                raise ValueError("not stored topics of this version")
            topics = Topics.from_json(data["topics"])
            inputs = data["inputs"]
            if not isinstance(inputs, dict):
                raise ValueError("inputs is not a record")
            terms, spoke_on = {}, {}
            labels = set(topics.labels)
            for row in data["speakers"]:
                who = (row["source"], row["speaker"])
                if not all(isinstance(x, str) for x in (*who, *row["terms"])):
                    raise ValueError("a speaker or term is not text")
                terms[who] = list(row["terms"])
                spoke_on[who] = [(str(label), int(n)) for label, n in row["topics"]]
                if not {label for label, _ in spoke_on[who]} <= labels:
                    raise ValueError(f"{who[1]} of {who[0]} spoke on a topic that is not listed")
            return cls(topics, terms, spoke_on, inputs)
        except (KeyError, TypeError, ValueError) as err:
            raise ValueError(f"not a topics file: {err}") from None


def topic_inputs(passages: Sequence[Passage], model: str) -> dict:
    """What stored topics depend on: the answers (keys and texts), the audience questions, the model
    that embedded them, and the method. Equal inputs give equal topics, so a build may reuse them."""
    answers, questions = _answer_texts(passages)
    h = hashlib.sha256()
    for (source, number), question in sorted(questions.items()):
        h.update(f"{source}\x1f{number}\x1f{question}\x1e".encode("utf-8"))
    return {"answers_sha256": answers_sha256(answers), "questions_sha256": h.hexdigest(), "model": model,
            "method_version": METHOD_VERSION}


def _answer_texts(passages: Sequence[Passage]) -> tuple[list[AnswerInput], dict[tuple[str, int], str]]:
    """The answers (as answers_from_passages gives them) and audience questions, without vectors."""
    answers, _, questions = answers_from_passages(passages, np.zeros((len(passages), 1), dtype=np.float32))
    return answers, questions


def library_topics(passages: Sequence[Passage], vectors: np.ndarray, model: str = "", **kwargs) -> LibraryTopics:
    """The topics, each speaker's distinctive terms and each speaker's topics for an index's
    passages and vectors (row i is passage i), with the inputs they were computed from."""
    answers, answer_vectors, questions = answers_from_passages(passages, vectors)
    topics = compute_topics(answers, answer_vectors, questions, **kwargs)
    return LibraryTopics(topics, speaker_terms(answers), speaker_topics(topics, answers),
                         topic_inputs(passages, model))

