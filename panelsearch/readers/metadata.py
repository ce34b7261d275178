"""Metadata (``<stem>.meta.json``): a document's title, date, event and its speakers' names and
roles, checked, bounded and laid over what the document itself says.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from .. import config
from ..errors import ParseError
from ..models import Document, Speaker
from ..text import clean_text
from .common import read_text, shorten

META_SUFFIX = ".meta.json"
META_FIELDS = ("title", "date", "event", "speakers")
INITIALS_RE = re.compile(r"[A-Z]{2,4}")


def metadata_path(doc_path: Path) -> Path:
    """Where a document's optional metadata lives: ``talk.pdf`` -> ``talk.meta.json``."""
    doc_path = Path(doc_path)
    return doc_path.with_name(doc_path.stem + META_SUFFIX)


@dataclass(frozen=True)
class Metadata:
    """What a ``.meta.json`` file says about its document; empty strings where it says nothing."""

    file: str
    title: str = ""
    date: str = ""
    event: str = ""
    people: tuple[Speaker, ...] = ()
    lines: dict = field(default_factory=dict, compare=False)  # initials -> line, for messages


def _json_line(text: str, key: str) -> int:
    at = text.find(json.dumps(key))
    return text.count("\n", 0, at) + 1 if at >= 0 else 1


def _meta_value(name: str, line: int, field: str, value: str, limit: int, who: str = "") -> str:
    """A metadata string cleaned (clean_text, stripped) and within ``limit`` characters."""
    value = clean_text(value).strip()
    if len(value) > limit:
        raise ParseError(name, line, f"{who}'{field}' is {len(value):,} characters long; at most {limit:,}")
    return value


def read_metadata(path: Path) -> Metadata:
    """Read ``{"title", "date", "event", "speakers": {"AC": {"name", "role"} or "name"}}``, all optional."""
    path = Path(path)
    name = path.name
    size = path.stat().st_size
    if size > config.MAX_META_BYTES:
        raise ParseError(name, 0, f"the metadata file is {size:,} bytes; at most {config.MAX_META_BYTES:,}")
    text = read_text(path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise ParseError(name, err.lineno, f"not valid JSON: {err.msg} (column {err.colno})") from None
    except RecursionError:  # "[[[[..." thousands deep: the decoder recurses once per level
        raise ParseError(name, 1, "nested too deeply: expected a JSON object such as "
                                  '{"title": "...", "speakers": {"AC": "A. Name"}}') from None
    if not isinstance(data, dict):
        raise ParseError(name, 1, 'expected a JSON object such as {"title": "...", "speakers": {"AC": "A. Name"}}')
    for key in data:
        if key not in META_FIELDS:
            raise ParseError(name, _json_line(text, key),
                             f"unknown field '{shorten(clean_text(key))}': expected {', '.join(META_FIELDS)}")
    for key in ("title", "date", "event"):
        if not isinstance(data.get(key, ""), str):
            raise ParseError(name, _json_line(text, key), f"'{key}' should be text in quotes")
    limits = {"title": config.MAX_TITLE_CHARS, "date": config.MAX_DATE_CHARS, "event": config.MAX_EVENT_CHARS}
    fields = {key: _meta_value(name, _json_line(text, key), key, data.get(key, ""), limit) for key, limit in limits.items()}
    speakers = data.get("speakers", {})
    if not isinstance(speakers, dict):
        raise ParseError(name, _json_line(text, "speakers"),
                         "'speakers' should map initials to a name or to {\"name\": ..., \"role\": ...}")
    people, lines = [], {}
    for initials, info in speakers.items():
        line = lines[initials] = _json_line(text, initials)
        if not INITIALS_RE.fullmatch(initials):
            raise ParseError(name, line, f"speaker '{shorten(clean_text(initials))}': use the 2-4 capitals of the "
                                         "speaker's tag, such as 'AC'")
        if isinstance(info, str):
            info = {"name": info}
        if not isinstance(info, dict) or set(info) - {"name", "role"} or not all(isinstance(v, str) for v in info.values()):
            raise ParseError(name, line, f"speaker '{initials}': expected a name, or {{\"name\": \"...\", \"role\": \"...\"}}")
        who = f"speaker '{initials}': "
        people.append(Speaker(initials, _meta_value(name, line, "name", info.get("name", ""), config.MAX_NAME_CHARS, who),
                              _meta_value(name, line, "role", info.get("role", ""), config.MAX_ROLE_CHARS, who)))
    return Metadata(name, fields["title"], fields["date"], fields["event"], tuple(people), lines)


def apply_metadata(doc: Document, meta: Metadata) -> Document:
    """The document with the metadata's title, date, event and speaker names laid over its own."""
    for person in meta.people:
        if person.initials not in doc.speakers:
            raise ParseError(meta.file, meta.lines.get(person.initials, 1),
                             f"speaker '{person.initials}' does not answer anything in {Path(doc.path).name or doc.source} "
                             f"(its speakers are {', '.join(doc.speakers)})")
    # A tag the metadata names is a speaker after all ('PS' for Paul Smith): no warning about it.
    named = [f"'{p.initials}:' was read as a speaker tag" for p in meta.people if p.name]
    warnings = tuple(w for w in doc.warnings if not any(n in w for n in named))
    return replace(doc, title=meta.title or doc.title, date=meta.date or doc.date, event=meta.event or doc.event,
                   people=_merge_people(doc.people, meta.people), warnings=warnings)


def _merge_people(own: tuple[Speaker, ...], given: tuple[Speaker, ...]) -> tuple[Speaker, ...]:
    merged = {p.initials: p for p in own}
    for p in given:
        old = merged.get(p.initials, Speaker(p.initials))
        merged[p.initials] = Speaker(p.initials, p.name or old.name, p.role or old.role)
    return tuple(merged[k] for k in sorted(merged))


def title_from_stem(stem: str) -> str:
    return stem.replace("-", " ").replace("_", " ").strip() or stem
