"""Catalog: what a loaded library holds, for browsing: its documents, questions, speakers and the
passages of each answer. Searching is search.py's; this module only looks things up.
"""
from __future__ import annotations

from .errors import UsageError
from .index_load import IndexData
from .models import DocumentRecord, Passage, QuestionRecord, Speaker


def only_known(given, known: list[str], what: str, holds: str) -> list[str] | None:
    """``given`` without repeats, or None when empty (no filter); UsageError naming any not in ``known``."""
    if not given:
        return None
    given = list(dict.fromkeys(given))
    unknown = [g for g in given if g not in known]
    if unknown:
        raise UsageError(f"unknown {what} {', '.join(unknown)}: {holds} {', '.join(known)}")
    return given


class Catalog:
    """The documents, questions and speakers of one loaded index. Read-only after load."""

    def __init__(self, passages: list[Passage], questions: list[QuestionRecord], documents: list[DocumentRecord]):
        self.passages = passages
        self.questions = questions
        self.documents = documents
        self.titles: dict[str, str] = {d.source: d.title for d in self.documents}
        self.sources: list[str] = [d.source for d in self.documents] or \
            sorted({p.source for p in self.passages} | {q.source for q in self.questions})
        self.speakers: list[str] = sorted({p.speaker for p in self.passages})
        self._by_key = {q.key: q for q in self.questions}
        self._documents = {d.source: d for d in self.documents}

    @classmethod
    def of(cls, data: IndexData) -> "Catalog":
        return cls(data.passages, data.questions, data.documents)

    def check_sources(self, sources) -> list[str] | None:
        """The given document names, each once, or None for "every document".

        Raises UsageError naming any the library does not hold.
        """
        return only_known(sources, self.sources, "document", "this library has")

    def check_speakers(self, speakers) -> list[str] | None:
        """The given initials, each once, or None for "every speaker"; UsageError for unknown ones."""
        return only_known(speakers, self.speakers, "speaker", "this corpus has")

    def document(self, source: str) -> DocumentRecord | None:
        return self._documents.get(source)

    def speaker(self, source: str, initials: str) -> Speaker:
        """A speaker of one document, with the name and role its metadata gives (initials are only
        unique within a document)."""
        doc = self._documents.get(source)
        return doc.speaker(initials) if doc else Speaker(initials)

    def speaker_name(self, source: str, initials: str) -> str:
        """What the page and the hits call a speaker: the name metadata gives, else the initials."""
        return self.speaker(source, initials).display

    def speakers_of(self, sources=None) -> list[str]:
        """The speakers' initials in the given documents (all documents by default)."""
        sources = self.check_sources(sources)
        return sorted({p.speaker for p in self.passages if not sources or p.source in sources})

    def question(self, source: str, number: int) -> QuestionRecord | None:
        """One audience question with every speaker's full answer."""
        return self._by_key.get((source, number))

    def answer_passages(self, source: str, number: int, speaker: str) -> list[Passage]:
        """The focused passages of one speaker's answer to one question, in reading order."""
        return [p for p in self.passages if p.kind == "chunk" and p.source == source
                and p.question_number == number and p.speaker == speaker]
