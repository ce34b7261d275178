"""What the store hands back (``SavedPack``, ``SavedItem``, ``PackSummary``), checked against the
library as it is now (``mark_missing``), and rendered as a handout (``render``)."""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Iterable, Mapping

from .errors import UsageError
from .pack import PackItem
from .text import clean_text

# An item's saved fields, in the order the store and the JSON give them.
ITEM_COLUMNS = ("passage_id", "source", "question_number", "question", "speaker", "speaker_name", "text",
                "title", "note", "prompt")


@dataclass(frozen=True)
class SavedItem:
    item: PackItem  # as saved, with its note and prompt
    position: int  # 1-based
    missing: bool = False  # set by mark_missing: the library no longer holds this passage as saved

    def to_json(self) -> dict:
        return {"position": self.position, "missing": self.missing,
                **{name: getattr(self.item, name) for name in ITEM_COLUMNS}}


@dataclass(frozen=True)
class SavedPack:
    id: str
    title: str
    created: datetime
    updated: datetime
    items: tuple[SavedItem, ...] = ()

    @property
    def pack_items(self) -> list[PackItem]:
        """The items as the handout takes them."""
        return [s.item for s in self.items]

    def to_json(self) -> dict:
        return {"id": self.id, "title": self.title, "created": self.created.isoformat(),
                "updated": self.updated.isoformat(), "items": [s.to_json() for s in self.items]}


@dataclass(frozen=True)
class PackSummary:
    id: str
    title: str
    created: datetime
    updated: datetime
    count: int = 0

    def to_json(self) -> dict:
        return {"id": self.id, "title": self.title, "created": self.created.isoformat(),
                "updated": self.updated.isoformat(), "items": self.count}


# -- the library now ------------------------------------------------------------------------------
def _plain(text: str) -> str:
    return " ".join(clean_text(text).split())


def library_texts(catalog) -> dict[str, set[str]]:
    """Passage id -> the texts the library now holds under it: every passage, and every speaker's
    whole answer (``...:all``) as the question records give it. ``catalog`` is a Catalog or
    anything with its ``passages`` and ``questions``."""
    from .models import passage_id

    texts: dict[str, set[str]] = {}
    for p in catalog.passages:
        texts.setdefault(p.passage_id, set()).add(_plain(p.text))
    for q in catalog.questions:
        for speaker in q.speakers:
            whole = " ".join(a.text for a in q.answers if a.speaker == speaker)
            pid = passage_id(q.source, q.number, speaker, "all")
            texts.setdefault(pid, set()).update({_plain(whole), _plain(q.answer_of(speaker).text)})
    return texts


def mark_missing(saved: SavedPack, library: Mapping[str, Iterable[str] | str]) -> SavedPack:
    """The pack with each item marked ``missing`` when the library no longer holds its passage id,
    or holds other text under it. ``library``: a Catalog, or passage id -> text (or set of texts)."""
    if hasattr(library, "passages"):
        library = library_texts(library)
    items = []
    for s in saved.items:
        now = library.get(s.item.passage_id)
        now = {_plain(now)} if isinstance(now, str) else {_plain(t) for t in now or ()}
        items.append(replace(s, missing=_plain(s.item.text) not in now))
    return replace(saved, items=tuple(items))


# -- a saved pack as a handout --------------------------------------------------------------------
FORMATS = {"docx": "docx", "md": "md", "markdown": "md", "word": "docx"}


def render(saved: SavedPack, fmt: str = "docx", catalog=None, when=None, agreements=()) -> bytes:
    """The pack as a Word (``docx``) or Markdown (``md``, UTF-8) handout. With the library's
    ``catalog``, speakers get the names and roles its metadata gives, and the glossary knows the
    terms the library defines; without it, the items' own names and the curated glossary serve.
    ``agreements`` (agree.Agreement, computed by the caller for ``pack.several_answered``'s
    questions): each of those questions gets a "Where they agree" section."""
    from .glossary import build_glossary
    from .handout import to_docx, to_markdown

    if fmt not in FORMATS:
        raise UsageError(f"unknown handout format {fmt!r}: choose docx or md")
    items = saved.pack_items
    texts = [t for i in items for t in (i.question, i.text)]
    speakers = None
    if catalog is not None:
        texts += [p.text for p in catalog.passages] + [q.question for q in catalog.questions]
        speakers = {(d.source, s.initials): s for d in catalog.documents for s in d.speaker_details}
    options = {"speakers": speakers, "glossary": build_glossary(texts, only_present=False), "agreements": agreements}
    if FORMATS[fmt] == "docx":
        return to_docx(items, saved.title, when, **options)
    return to_markdown(items, saved.title, when, **options).encode("utf-8")
