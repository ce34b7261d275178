"""A discussion pack written out as a handout, in Word (the main format) or Markdown.

Pure functions: a list of ``PackItem`` (and a title, a date, the speakers' names, a glossary and,
when asked, the agreement groups of the pack's questions) in, a ``str`` or docx ``bytes`` out. The
handout stands alone: each passage under a topic heading drawn from its audience question, with the
speaker's name, a note, a question to discuss and lines to write on; who spoke, the source named
once, and the acronyms the passages use. Given ``agreements`` (agree.py's ``Agreement``, computed by
the caller with the model), a question two or more panelists answered gets a "Where they agree"
section: what both said, side by side, and what only one said, quoted as spoken.

This module plans what the handout says (``plan``) and writes the Markdown; handout_docx.py writes
the Word file from the same plan.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, fields, replace
from datetime import date
from typing import Iterable, Mapping

from .agree import only_label
from .glossary import acronym_spellings, find_acronyms
from .models import Speaker
from .pack import DEFAULT_TITLE, PackItem, display_name
from .text import clean_text
from .wording import and_list, plural

SUBJECT = "Passages from panel Q&A documents"
NOTE_LINES = 4
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def long_date(when: date) -> str:
    return f"{when.day} {when:%B %Y}"


# -- what the handout says, whatever its format -----------------------------------------------------
Speakers = Mapping[tuple[str, str], Speaker] | Mapping[str, Speaker] | Iterable[Speaker] | None

AGREE_HEADING = "Where they agree"
BOTH_LABEL = "Both said"
NO_PAIRS = "No sentence of one answer makes the same point as a sentence of the other."


@dataclass(frozen=True)
class Agreed:
    """A question's agreement groups as the handout quotes them (names, not initials)."""

    question_number: int
    intro: str  # "Panelist SK and Alex Carter on question 2, quoted as spoken. …"
    both: list[tuple[tuple[str, str], tuple[str, str]]]  # ((who, sentence), (who, sentence)), reading order
    only: list[tuple[str, list[str]]]  # ("Only Alex Carter said", sentences); speakers with none left out


@dataclass(frozen=True)
class Entry:
    n: int
    item: PackItem
    question: str  # the whole audience question, shown when the topic heading had to cut it ("" if not)
    who: str  # the speaker's display name, else "Panelist AC"
    cite: str  # ", answering question 9" (and "· source 2" when the pack quotes several documents)
    agreed: Agreed | None = None  # the question's groups, at the first item quoting the question
    agreed_at: int = 0  # or: the number of the earlier item that shows them


@dataclass(frozen=True)
class Handout:
    title: str
    when: date
    intro: str  # "3 passages from “Title”, with space for your notes."
    sources: list[str]  # each document once; listed, numbered, when there are several
    speakers: list[tuple[str, str]]  # who spoke: (name or "Panelist AC", role)
    entries: list[Entry]
    glossary: list[tuple[str, str]]  # (acronym as the passages write it, expansion), used ones only


_TEXT_FIELDS = [f.name for f in fields(PackItem) if f.name != "question_number"]


def _speaker_finder(speakers: Speakers):
    """(source, initials) -> the Speaker given for them, or None. Keys may be (source, initials),
    initials alone, or a list of Speakers (a one-document pack)."""
    by_doc, by_initials = {}, {}
    if isinstance(speakers, Mapping):
        for key, speaker in speakers.items():
            (by_doc if isinstance(key, tuple) else by_initials)[key] = speaker
    else:
        by_initials = {s.initials: s for s in speakers or ()}
    return lambda source, initials: by_doc.get((source, initials)) or by_initials.get(initials)


def _agreed(agreement, name) -> Agreed:
    """``agreement`` (agree.Agreement) with each speaker's name (``name(initials)``), every sentence
    as the library holds it: quoted, never changed."""
    said = lambda text: " ".join(clean_text(text).split())  # noqa: E731
    names = [name(s) for s in agreement.speakers]
    intro = (f"{and_list(names)} on question {agreement.question_number}, quoted as spoken. “{BOTH_LABEL}” "
             "pairs sentences that make a very similar point; “Only … said” means the other did not say the "
             "same, not that they disagree.")
    both = [((name(p.a_speaker), said(p.a_sentence)), (name(p.b_speaker), said(p.b_sentence))) for p in agreement.both]
    only = [(only_label(name(s)), [said(t) for t in agreement.only.get(s, ())]) for s in agreement.speakers]
    return Agreed(agreement.question_number, intro, both, [(label, v) for label, v in only if v])


def plan(items: list[PackItem], title: str, when: date | None, speakers: Speakers,
         glossary: Mapping[str, str] | None, agreements: Iterable = ()) -> Handout:
    """What the handout says. ``agreements``: agree.Agreement of questions the items quote (others are
    ignored); each is shown once, at the first item from its question."""
    when = when or date.today()
    title = " ".join(clean_text(title).split()) or DEFAULT_TITLE
    # Text from the library is clean already; a note typed in, or an item built by hand, may not be:
    # cleaned here, nothing reaches the Word file that XML 1.0 cannot hold.
    items = [replace(i, **{f: clean_text(getattr(i, f)) for f in _TEXT_FIELDS}) for i in items]
    documents = list(dict.fromkeys(i.source for i in items))
    labels = {i.source: i.source_label for i in reversed(items)}
    several = len(documents) > 1
    if len(documents) == 1:
        where = f" from “{items[0].title or items[0].source}”"  # the one mention of the document
    else:
        where = f" from {len(documents)} documents" if documents else ""
    intro = f"{plural(len(items), 'passage')}{where}, with space for your notes."

    find = _speaker_finder(speakers)
    named = {(i.source, i.speaker): i.speaker_name for i in items if i.speaker_name}

    def who_is(source: str, initials: str) -> tuple[str, str]:
        """(display name, else "Panelist AC"; role): never a guessed name, initials when none was given."""
        given = find(source, initials) or Speaker(initials)
        name = display_name(given.name, initials) or named.get((source, initials), "")
        return name or f"Panelist {initials}", " ".join(given.role.split())

    groups = {(a.source, a.question_number): a for a in agreements if len(a.speakers) >= 2}
    people: dict[tuple[str, str], tuple[str, str]] = {}
    shown_at: dict[tuple[str, int], int] = {}
    entries = []
    for n, item in enumerate(items, start=1):
        who, role = who_is(item.source, item.speaker)
        tag = f" · source {documents.index(item.source) + 1}" if several else ""
        people.setdefault((item.source, item.speaker), (f"{who} (source {documents.index(item.source) + 1})"
                                                        if several else who, role))
        whole = " ".join(item.question.split())
        key = (item.source, item.question_number)
        agreed, agreed_at = None, shown_at.get(key, 0)
        if key in groups and not agreed_at:
            shown_at[key] = n
            agreed = _agreed(groups[key], lambda s, source=item.source: who_is(source, s)[0])
        entries.append(Entry(n, item, whole if item.topic != whole else "", who,
                             f", answering question {item.question_number}{tag}", agreed, agreed_at))
    for source, number in shown_at:  # the handout quotes them too: they are among who spoke
        for initials in groups[(source, number)].speakers:
            who, role = who_is(source, initials)
            people.setdefault((source, initials), (f"{who} (source {documents.index(source) + 1})"
                                                   if several else who, role))

    used: list[tuple[str, str]] = []
    if glossary:
        texts = [t for i in items for t in (i.question, i.text, i.note, i.prompt)]
        texts += [t for e in entries if e.agreed for pair in e.agreed.both for _, t in pair]
        texts += [t for e in entries if e.agreed for _, sentences in e.agreed.only for t in sentences]
        keys = find_acronyms(" ".join(texts), glossary)
        spelt = acronym_spellings(texts, {k: glossary[k] for k in keys})
        used = sorted(((spelt.get(k, k), glossary[k]) for k in keys), key=lambda row: row[0].upper())
    return Handout(title, when, intro, [labels[d] for d in documents] if several else [],
                   list(people.values()), entries, used)


def see_earlier(e: Entry) -> str:
    """The line an item shows when an earlier item of its question has the groups."""
    return f"{AGREE_HEADING} on question {e.item.question_number}: see {e.agreed_at} above."


# -- Markdown --------------------------------------------------------------------------------------
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|~$])")


def md_escape(text: str) -> str:
    """Corpus text shown as written by any Markdown renderer (no accidental emphasis or HTML)."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def _md_agreed(a: Agreed) -> list[str]:
    out = [f"### {AGREE_HEADING}", "", f"*{md_escape(a.intro)}*", "", f"**{BOTH_LABEL}**", ""]
    if not a.both:
        out += [md_escape(NO_PAIRS), ""]
    for (who_a, said_a), (who_b, said_b) in a.both:
        # A backslash at the end of a line is a line break: the two sentences of a pair, one under the other.
        out += [f"- **{md_escape(who_a)}:** “{md_escape(said_a)}”\\",
                f"  **{md_escape(who_b)}:** “{md_escape(said_b)}”"]
    out += [""] if a.both else []
    for label, sentences in a.only:
        out += [f"**{md_escape(label)}**", ""] + [f"- “{md_escape(t)}”" for t in sentences] + [""]
    return out


def to_markdown(items: list[PackItem], title: str = DEFAULT_TITLE, when: date | None = None,
                note_lines: int = NOTE_LINES, *, speakers: Speakers = None,
                glossary: Mapping[str, str] | None = None, agreements: Iterable = ()) -> str:
    """The pack as a Markdown document: who spoke, one section per passage (topic heading, quote,
    speaker, note, a question to discuss, where the panelists agree when ``agreements`` are given,
    lines for notes), and the acronyms it uses."""
    h = plan(items, title, when, speakers, glossary, agreements)
    out = [f"# {md_escape(h.title)}", "", f"*Prepared {long_date(h.when)}. {md_escape(h.intro)}*", ""]
    if h.sources:
        out += ["**Sources**", ""] + [f"{n}. {md_escape(s)}" for n, s in enumerate(h.sources, start=1)] + [""]
    if h.speakers:
        out += ["## Who spoke", ""]
        out += [f"- **{md_escape(who)}**" + (f", {md_escape(role)}" if role else "") for who, role in h.speakers]
        out += [""]
    # The terms up front, beside who spoke: read before the passages, and no page of its own at the end.
    if h.glossary:
        out += ["## Glossary", ""] + [f"- **{md_escape(a)}**: {md_escape(x)}" for a, x in h.glossary] + [""]
    if not items:
        out += ["No passages yet.", ""]
    for e in h.entries:
        out += [f"## {e.n}. {md_escape(e.item.topic)}", ""]
        if e.question:
            out += [f"*Question {e.item.question_number}: {md_escape(e.question)}*", ""]
        out += [f"> {md_escape(e.item.text)}", "", f"— **{md_escape(e.who)}**{md_escape(e.cite)}", ""]
        if e.item.note.strip():
            out += [f"**Note:** {md_escape(e.item.note)}", ""]
        out += [f"**To discuss:** {md_escape(e.item.discussion_prompt)}", ""]
        if e.agreed:
            out += _md_agreed(e.agreed)
        elif e.agreed_at:
            out += [f"*{md_escape(see_earlier(e))}*", ""]
        out += ["**Notes**", ""]
        # A line of underscores is a horizontal rule once rendered: ruled lines to write on.
        for _ in range(note_lines):
            out += ["_" * 60, ""]
    return "\n".join(out).rstrip() + "\n"


def to_docx(items: list[PackItem], title: str = DEFAULT_TITLE, when: date | None = None,
            note_lines: int = NOTE_LINES, *, speakers: Speakers = None,
            glossary: Mapping[str, str] | None = None, agreements: Iterable = ()) -> bytes:
    """The pack as a Word handout (handout_docx.py): title, date and source; who spoke; the acronyms
    used; per passage a topic heading, the quote (shaded, with a bar at its left), the speaker, the
    note, a question to discuss, where the panelists agree when ``agreements`` are given, and ruled
    lines for notes."""
    from .handout_docx import write_docx  # python-docx only when a Word file is asked for

    return write_docx(plan(items, title, when, speakers, glossary, agreements), note_lines)
