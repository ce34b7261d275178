"""Discussion pack: the passages a reader collected (``PackItem``), and the pure list operations on
them (add, remove, move). handout.py writes a pack out as Word or Markdown; store.py keeps it."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from .models import QuestionRecord, passage_id
from .wording import short_question

DEFAULT_TITLE = "Discussion pack"
TOPIC_CHARS = 80  # a topic heading: the audience question, cut near here

@dataclass(frozen=True)
class PackItem:
    """One quoted passage and where it came from."""

    passage_id: str
    source: str  # the source document (file stem)
    question_number: int
    question: str
    speaker: str
    text: str
    title: str = ""  # the source document's title, when it has one
    speaker_name: str = ""  # the speaker's display name from the document's metadata, when it has one
    note: str = ""  # the pack maker's note for the handout
    prompt: str = ""  # a question for the group; "" uses default_prompt(question)

    @classmethod
    def from_hit(cls, hit) -> "PackItem":
        return cls(passage_id=hit.passage_id, source=hit.source, question_number=hit.question_number,
                   question=hit.question, speaker=hit.speaker, text=hit.text, title=hit.title,
                   speaker_name=display_name(hit.speaker_name, hit.speaker))

    @classmethod
    def from_passage(cls, passage, title: str = "", speaker_name: str = "") -> "PackItem":
        """From an index ``Passage`` (browsing, where there is no search hit)."""
        return cls(passage_id=passage.passage_id, source=passage.source, question_number=passage.question_number,
                   question=passage.question, speaker=passage.speaker, text=passage.text, title=title,
                   speaker_name=display_name(speaker_name, passage.speaker))

    @classmethod
    def whole_answer(cls, question: QuestionRecord, speaker: str, text: str, speaker_name: str = "") -> "PackItem":
        """A speaker's whole answer to a question, as one item."""
        return cls(passage_id=passage_id(question.source, question.number, speaker, "all"),
                   source=question.source, question_number=question.number,
                   question=question.question, speaker=speaker, text=text, title=question.title,
                   speaker_name=display_name(speaker_name, speaker))

    @property
    def speaker_label(self) -> str:
        """Who said it: the display name where the metadata gives one, else the initials."""
        return self.speaker_name or self.speaker

    @property
    def speaker_cite(self) -> str:
        """``Jo Bloggs (JB)`` when there is a name, else ``JB``."""
        return f"{self.speaker_name} ({self.speaker})" if self.speaker_name else self.speaker

    @property
    def source_label(self) -> str:
        """The source document, its title added when it says more than the file name."""
        plain = re.sub(r"[\W_]+", " ", self.source).strip().lower()
        if self.title and re.sub(r"[\W_]+", " ", self.title).strip().lower() != plain:
            return f"{self.title} ({self.source})"
        return self.source

    @property
    def topic(self) -> str:
        """The heading of the item in the handout: its audience question, shortened."""
        return short_question(self.question, TOPIC_CHARS)

    @property
    def discussion_prompt(self) -> str:
        return " ".join(self.prompt.split()) or default_prompt(self.question)


def default_prompt(question: str) -> str:
    """A question for the group, drawn from the audience question."""
    return f"How would we answer “{short_question(question, TOPIC_CHARS)}” in our team?"


def display_name(name: str, initials: str) -> str:
    """A display name worth keeping: not empty and not just the initials again."""
    name = " ".join((name or "").split())
    return "" if name == initials else name


# -- editing a pack (lists in, new lists out) ----------------------------------------------------
def add(items: list[PackItem], item: PackItem) -> list[PackItem]:
    """The pack with ``item`` at the end; a passage already in it is not added twice."""
    return list(items) if any(i.passage_id == item.passage_id for i in items) else [*items, item]


def remove(items: list[PackItem], passage_id: str) -> list[PackItem]:
    return [i for i in items if i.passage_id != passage_id]


def move(items: list[PackItem], passage_id: str, offset: int) -> list[PackItem]:
    """The pack with one item moved ``offset`` places (clamped to the ends)."""
    items = list(items)
    at = next((n for n, i in enumerate(items) if i.passage_id == passage_id), None)
    if at is None:
        return items
    item = items.pop(at)
    items.insert(min(max(at + offset, 0), len(items)), item)
    return items


def contains(items: list[PackItem], passage_id: str) -> bool:
    return any(i.passage_id == passage_id for i in items)


def several_answered(items: list[PackItem], catalog) -> list[QuestionRecord]:
    """The library's records of the questions ``items`` quote that two or more panelists answered,
    each once, in pack order: the questions whose agreement groups (agree.agreements) a handout can
    show. Pass the items the library still holds (not those ``saved.mark_missing`` marks)."""
    found: dict[tuple[str, int], QuestionRecord] = {}
    for item in items:
        record = catalog.question(item.source, item.question_number)
        if record is not None and len(record.speakers) >= 2:
            found.setdefault(record.key, record)
    return list(found.values())


def file_name(title: str, when: date, extension: str) -> str:
    """``co-production-in-quality-improvement-discussion-pack-2026-11-26.docx``."""
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60].strip("-") or "discussion-pack"
    return f"{slug}-{when.isoformat()}.{extension}"
