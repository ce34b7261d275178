"""The shapes data travels in, from parsed document to search hit."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Answer:
    speaker: str
    text: str
    line: int = 0  # line of the speaker tag in the source file


@dataclass(frozen=True)
class Question:
    number: int
    text: str
    answers: tuple[Answer, ...]
    line: int = 0

    @property
    def speakers(self) -> list[str]:
        return list(dict.fromkeys(a.speaker for a in self.answers))


@dataclass(frozen=True)
class Document:
    source: str  # file stem, e.g. "coproduction-qi-webinar-qa"
    title: str
    questions: tuple[Question, ...]
    path: str = ""

    @property
    def speakers(self) -> list[str]:
        return sorted({a.speaker for q in self.questions for a in q.answers})

    def to_json(self) -> dict:
        """The public `parse --json` shape."""
        return {
            "source": self.source,
            "title": self.title,
            "questions": [
                {
                    "number": q.number,
                    "question": q.text,
                    "answers": [{"speaker": a.speaker, "text": a.text} for a in q.answers],
                }
                for q in self.questions
            ],
        }


@dataclass(frozen=True)
class Passage:
    passage_id: str
    source: str
    question_number: int
    question: str
    speaker: str
    text: str
    position: int  # 1-based order of this passage within the speaker's answer
    kind: str = "chunk"  # "chunk" (a few sentences) or "answer" (the whole answer)

    def to_json(self) -> dict:
        return asdict(self)


@dataclass
class Hit:
    rank: int
    score: float
    question_number: int
    question: str
    speaker: str
    text: str
    passage_id: str
    source: str
    position: int = 1
    relevance: str = ""  # a label a person can read: "strong match", "good match", ...
    title: str = ""  # the source document's title

    def to_json(self) -> dict:
        return asdict(self)


@dataclass
class QuestionMatch:
    """An audience question close to the query, for "the panel did not cover this, but..."."""

    source: str
    title: str
    number: int
    question: str
    speakers: list[str]
    score: float

    def to_json(self) -> dict:
        return asdict(self)


@dataclass
class SearchResult:
    query: str
    low_confidence: bool
    hits: list[Hit] = field(default_factory=list)
    notice: str = ""  # e.g. "query truncated to the 256 tokens the model reads"
    closest_questions: list[QuestionMatch] = field(default_factory=list)  # filled when low_confidence

    def to_json(self) -> dict:
        out = {"query": self.query, "low_confidence": self.low_confidence,
               "hits": [h.to_json() for h in self.hits]}
        if self.notice:
            out["notice"] = self.notice
        if self.low_confidence:
            out["closest_questions"] = [q.to_json() for q in self.closest_questions]
        return out


@dataclass
class CompareResult:
    query: str
    speakers: dict[str, list[Hit]]
    low_confidence: bool = False

    def to_json(self) -> dict:
        return {"query": self.query, "low_confidence": self.low_confidence,
                "speakers": {s: [h.to_json() for h in hits] for s, hits in self.speakers.items()}}
