"""The shapes data travels in, from parsed document to search hit."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field


def who_answered(answers) -> list[str]:
    """The speakers of some answers, each once, in the order they spoke."""
    return list(dict.fromkeys(a.speaker for a in answers))


class Record:
    """A record whose JSON form is its fields, as they are (Passage, Hit, QuestionMatch)."""

    def to_json(self) -> dict:
        return asdict(self)


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
        return who_answered(self.answers)


@dataclass(frozen=True)
class Speaker:
    """A speaker of one document: initials are only unique within that document."""

    initials: str  # the tag in the text, e.g. "AC"
    name: str = ""  # display name, only when a person gave one (metadata); never guessed
    role: str = ""

    @property
    def display(self) -> str:
        return self.name or self.initials

    def to_json(self) -> dict:
        return {"initials": self.initials, "name": self.name, "role": self.role, "display": self.display}

    @classmethod
    def from_json(cls, data: dict) -> "Speaker":
        return cls(data["initials"], data.get("name", ""), data.get("role", ""))


SpeakerInfo = Speaker  # the name the manifest's readers know it by


@dataclass(frozen=True)
class Document:
    source: str  # file stem, e.g. "coproduction-qi-webinar-qa"
    title: str
    questions: tuple[Question, ...]
    path: str = ""
    date: str = ""  # as written in the document or its metadata, e.g. "2021-06-17"
    event: str = ""
    people: tuple[Speaker, ...] = ()  # names and roles given for some speakers; see speaker_info()
    format: str = ""  # "text", "markdown", "pdf" or "docx"
    # What the reader suspects it misread ("line 12: '4 How...' looks like question 4, but ..."); not content.
    warnings: tuple[str, ...] = ()

    @property
    def speakers(self) -> list[str]:
        return sorted({a.speaker for q in self.questions for a in q.answers})

    def speaker_info(self) -> list[Speaker]:
        """Every speaker of the document, with a name and role where one was given."""
        given = {p.initials: p for p in self.people}
        return [given.get(s, Speaker(s)) for s in self.speakers]

    def content_key(self) -> tuple:
        """The questions and answers alone: two files with equal keys hold the same Q&A."""
        return tuple((q.number, q.text, tuple((a.speaker, a.text) for a in q.answers)) for q in self.questions)

    def to_json(self) -> dict:
        """The public `parse --json` shape."""
        return {
            "source": self.source,
            "title": self.title,
            "date": self.date,
            "event": self.event,
            "speakers": [asdict(s) for s in self.speaker_info()],
            "questions": [
                {
                    "number": q.number,
                    "question": q.text,
                    "answers": [{"speaker": a.speaker, "text": a.text} for a in q.answers],
                }
                for q in self.questions
            ],
            "warnings": list(self.warnings),
        }


def passage_id(source: str, number: int, speaker: str, part: int | str) -> str:
    """``<document>:q<NN>:<speaker>:<part>``: the one format of passage ids (part: a position,
    or "all" for a whole answer)."""
    return f"{source}:q{number:02d}:{speaker}:{part}"


@dataclass(frozen=True)
class Passage(Record):
    passage_id: str
    source: str
    question_number: int
    question: str
    speaker: str
    text: str
    position: int  # 1-based order of this passage within the speaker's answer
    kind: str = "chunk"  # "chunk" (a few sentences) or "answer" (the whole answer)


@dataclass
class Hit(Record):
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
    speaker_name: str = ""  # display name from the document's metadata, else the initials


@dataclass
class QuestionMatch(Record):
    """An audience question close to the query, for "the panel did not cover this, but..."."""

    source: str
    title: str
    number: int
    question: str
    speakers: list[str]
    score: float


CONFIDENCE_TIERS = ("high", "medium", "low")


def _settle_confidence(result) -> None:
    """``confidence`` given wins and sets ``low_confidence`` (which means exactly confidence ==
    "low"); without one, it follows ``low_confidence`` ("low" or "high")."""
    if not result.confidence:
        result.confidence = "low" if result.low_confidence else "high"
    elif result.confidence not in CONFIDENCE_TIERS:
        raise ValueError(f"confidence must be one of {', '.join(CONFIDENCE_TIERS)}, not {result.confidence!r}")
    result.low_confidence = result.confidence == "low"


@dataclass
class SearchResult:
    """A search's hits and how far the panel answered the query: ``confidence`` "high" (show the
    passages), "medium" (show them under a caution, with the closest questions) or "low" (the panel
    did not answer it: the closest questions; the hits are still here for "show passages anyway")."""

    query: str
    low_confidence: bool
    hits: list[Hit] = field(default_factory=list)
    notice: str = ""  # e.g. "query truncated to the 256 tokens the model reads"
    closest_questions: list[QuestionMatch] = field(default_factory=list)  # filled for medium and low
    confidence: str = ""  # "high", "medium" or "low"; by default from low_confidence

    def __post_init__(self):
        _settle_confidence(self)

    def to_json(self) -> dict:
        out = {"query": self.query, "confidence": self.confidence, "low_confidence": self.low_confidence,
               "hits": [h.to_json() for h in self.hits]}
        if self.notice:
            out["notice"] = self.notice
        if self.confidence != "high":
            out["closest_questions"] = [q.to_json() for q in self.closest_questions]
        return out


@dataclass
class CompareResult:
    query: str
    speakers: dict[str, list[Hit]]
    low_confidence: bool = False
    hits: list[Hit] = field(default_factory=list)  # every speaker ranked together; compare's rows follow it
    confidence: str = ""  # as SearchResult's

    def __post_init__(self):
        _settle_confidence(self)

    def to_json(self) -> dict:
        return {"query": self.query, "confidence": self.confidence, "low_confidence": self.low_confidence,
                "speakers": {s: [h.to_json() for h in hits] for s, hits in self.speakers.items()},
                "hits": [h.to_json() for h in self.hits]}


@dataclass(frozen=True)
class DocumentRecord:
    """What the index manifest records of each document it was built from (``manifest["documents"]``)."""

    source: str  # file stem; passage ids start with it
    title: str
    file: str  # file name in the corpus
    format: str  # "text", "markdown", "pdf" or "docx"
    sha256: str  # of the file as built
    content_sha256: str  # of its questions and answers alone: the same Q&A in another format has the same one
    metadata_file: str | None  # "<stem>.meta.json" if one was applied
    date: str
    event: str
    speakers: list[str]  # initials, unique only within this document
    speaker_details: list[Speaker]  # in the manifest: {"initials", "name", "role", "display"}
    questions: int
    passages: int
    vectors_reused: int  # passage vectors taken from the previous index (same text, same model)
    vectors_embedded: int  # passage vectors computed by this build

    def to_json(self) -> dict:
        out = asdict(self)
        out["speaker_details"] = [s.to_json() for s in self.speaker_details]
        return out

    @classmethod
    def from_json(cls, data: dict) -> "DocumentRecord":
        """The record as the manifest stores it; raises ValueError if it is not one."""
        try:
            fields = {name: data[name] for name in cls.__dataclass_fields__ if name != "speaker_details"}
            details = [Speaker.from_json(s) for s in data["speaker_details"]]
        except (KeyError, TypeError) as err:
            raise ValueError(f"a document record lacks {err}") from None
        return cls(**fields, speaker_details=details)

    def speaker(self, initials: str) -> Speaker:
        """The document's speaker with these initials (a bare one if the record names none)."""
        return next((s for s in self.speaker_details if s.initials == initials), Speaker(initials))


@dataclass(frozen=True)
class AnswerRecord:
    """One speaker's whole answer to an audience question, as the index stores it."""

    speaker: str
    text: str


@dataclass(frozen=True)
class QuestionRecord:
    """An audience question of one document with every speaker's whole answer (``questions.jsonl``)."""

    source: str
    title: str
    number: int
    question: str
    answers: tuple[AnswerRecord, ...]

    @property
    def speakers(self) -> list[str]:
        """Who answered, in the order they spoke."""
        return who_answered(self.answers)

    @property
    def key(self) -> tuple[str, int]:
        return self.source, self.number

    def answer_of(self, speaker: str) -> AnswerRecord | None:
        return next((a for a in self.answers if a.speaker == speaker), None)

    def to_json(self) -> dict:
        return {"source": self.source, "title": self.title, "number": self.number, "question": self.question,
                "answers": [asdict(a) for a in self.answers]}

    @classmethod
    def from_json(cls, data) -> "QuestionRecord":
        """A record as build_index writes it; raises ValueError for anything else."""
        ok = (isinstance(data, dict) and isinstance(data.get("source"), str) and isinstance(data.get("number"), int)
              and isinstance(data.get("question"), str) and isinstance(data.get("title", ""), str)
              and isinstance(data.get("answers"), list)
              and all(isinstance(a, dict) and isinstance(a.get("speaker"), str) and isinstance(a.get("text"), str)
                      for a in data["answers"]))
        if not ok:
            raise ValueError("questions.jsonl holds records that are not questions")
        return cls(data["source"], data.get("title", ""), data["number"], data["question"],
                   tuple(AnswerRecord(a["speaker"], a["text"]) for a in data["answers"]))

    @classmethod
    def of(cls, doc: "Document", q: Question) -> "QuestionRecord":
        return cls(doc.source, doc.title, q.number, q.text, tuple(AnswerRecord(a.speaker, a.text) for a in q.answers))
