"""What each view of the page shows, as data: search results grouped by question, compare rows
lined up speaker by speaker, browse's questions, and the lines that describe the library.

Nothing here draws or builds markup (html.py does); the CLI's ``compare --json`` and the page
share ``align_compare``.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Iterable

from .agree import Agreement, agreements
from .catalog import Catalog
from .models import CompareResult, DocumentRecord, Hit, QuestionRecord
from .wording import and_list, plural

EXAMPLE_QUERIES = (
    "We have no staff time for co-production, can it still work?",
    "How do we pay experts by experience?",
    "What training do experts by experience need?",
    "How early should patients be involved in a project?",
    "How do we create a safe space for staff and patients?",
)


# -- search results, one card per question ---------------------------------------------------------
@dataclass(frozen=True)
class AboutQuestion:
    """What a group of results or a compare row is about: one audience question of one document."""

    source: str
    number: int
    question: str

    @property
    def key(self) -> tuple[str, int]:
        return self.source, self.number


@dataclass(frozen=True)
class QuestionGroup(AboutQuestion):
    """The hits that come from one audience question, best first."""

    hits: tuple[Hit, ...] = ()

    @property
    def best(self) -> Hit:
        return self.hits[0]

    def others_summary(self) -> str:
        """'+ 2 more passages from AC in this question also match.' (empty when there are none)."""
        rest = self.hits[1:]
        if not rest:
            return ""
        counts: dict[str, int] = {}
        for h in rest:
            who = h.speaker_name or h.speaker  # one question, one document: names are unique here
            counts[who] = counts.get(who, 0) + 1
        total = len(rest)
        noun, verb = ("passages", "match") if total > 1 else ("passage", "matches")
        if len(counts) == 1:
            return f"+ {total} more {noun} from {next(iter(counts))} in this question also {verb}."
        split = ", ".join(f"{n} from {s}" for s, n in counts.items())
        return f"+ {total} more {noun} in this question also {verb} ({split})."


def group_by_question(hits: Iterable[Hit], limit: int | None = None) -> list[QuestionGroup]:
    """One group per question, in the order of each question's best hit.

    With ``limit``, reading stops at the hit that would open question ``limit + 1``: a group then
    holds only the passages that outrank every question left out, not every passage of a long
    answer that happens to be in ``hits``.
    """
    order: list[tuple[str, int]] = []
    members: dict[tuple[str, int], list[Hit]] = {}
    for h in hits:
        key = (h.source, h.question_number)
        if key not in members:
            if limit is not None and len(order) >= limit:
                break
            order.append(key)
            members[key] = []
        members[key].append(h)
    return [QuestionGroup(k[0], k[1], members[k][0].question, tuple(members[k])) for k in order]


def one_per_hit(hits: Iterable[Hit]) -> list[QuestionGroup]:
    """A group of its own for every hit (when one card per question is off)."""
    return [QuestionGroup(h.source, h.question_number, h.question, (h,)) for h in hits]


# -- browse ------------------------------------------------------------------------------------------
def browse_questions(questions: list[QuestionRecord], speakers: Iterable[str] | None = None,
                     number: int | None = None, sources: Iterable[str] | None = None) -> list[QuestionRecord]:
    """Questions with only the chosen speakers' answers, in the chosen documents, optionally just
    one number (in each chosen document). A question none of the chosen speakers answered is left out."""
    chosen = set(speakers or ())
    docs = set(sources or ())
    out = []
    for q in questions:
        if (number is not None and q.number != number) or (docs and q.source not in docs):
            continue
        answers = tuple(a for a in q.answers if not chosen or a.speaker in chosen)
        if answers:
            out.append(replace(q, answers=answers))
    return out


def by_document(questions: list[QuestionRecord]) -> list[tuple[str, list[QuestionRecord]]]:
    """(source, its questions) in the order the documents first appear."""
    groups: dict[str, list[QuestionRecord]] = {}
    for q in questions:
        groups.setdefault(q.source, []).append(q)
    return list(groups.items())


def document_speakers(questions: list[QuestionRecord]) -> dict[str, list[str]]:
    """Each document's speakers (initials, sorted), from its answers."""
    out: dict[str, set[str]] = {}
    for q in questions:
        out.setdefault(q.source, set()).update(q.speakers)
    return {source: sorted(speakers) for source, speakers in out.items()}


def question_numbers(catalog: Catalog) -> dict[str, list[int]]:
    """Each document's question numbers, for checking a link's ``q``."""
    numbers: dict[str, list[int]] = {s: [] for s in catalog.sources}
    for q in catalog.questions:
        numbers.setdefault(q.source, []).append(q.number)
    return numbers


# -- compare ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CompareEntry:
    """One speaker's cell in a row: their passages on a question, or a note why there are none."""

    speaker: str
    source: str
    number: int
    question: str
    hits: tuple[Hit, ...] = ()
    note: str = ""
    name: str = ""  # the speaker's display name, else the initials


@dataclass(frozen=True)
class CompareRow(AboutQuestion):
    """One matched question with a cell for each speaker of its document."""

    entries: tuple[CompareEntry, ...] = ()
    both_answered: bool = False  # every speaker of the document answered it (and there are several)
    agreement: Agreement | None = None  # where its speakers make the same point (agree.py), when computed

    def to_json(self) -> dict:
        """The row as ``compare --json`` prints it."""
        return {"source": self.source, "question_number": self.number, "question": self.question,
                "both_answered": self.both_answered,
                "cells": {e.speaker: {"name": e.name, "hits": [h.to_json() for h in e.hits], "note": e.note}
                          for e in self.entries},
                "agreement": self.agreement.to_json() if self.agreement else None}


@dataclass(frozen=True)
class CompareView:
    query: str
    low_confidence: bool
    rows: tuple[CompareRow, ...] = ()  # the matched questions, best first

    @property
    def questions(self) -> tuple[tuple[str, int], ...]:
        return tuple(r.key for r in self.rows)

    @property
    def columns(self) -> dict[str, tuple[CompareEntry, ...]]:
        """Each speaker's (initials') entries, row by row."""
        out: dict[str, list[CompareEntry]] = {}
        for row in self.rows:
            for e in row.entries:
                out.setdefault(e.speaker, []).append(e)
        return {s: tuple(v) for s, v in out.items()}

    @property
    def both_answered(self) -> tuple[tuple[str, int], ...]:
        return tuple(r.key for r in self.rows if r.both_answered)


def align_compare(result: CompareResult, catalog: Catalog, k: int = 3, per_question: int = 2) -> CompareView:
    """Line up the speakers' passages question by question.

    The matched questions are the first ``k`` distinct questions of the joint ranking
    (``result.hits``, every speaker ranked together). Each row has a cell for every speaker of that
    question's document (initials are unique only within a document, so two documents' "AC"s never
    share a cell): that speaker's best passages on it (up to ``per_question``), or a note "SK did
    not answer Q9." when they did not answer it; a row is never padded with passages from
    questions that did not match. ``result`` should hold every passage
    (``Searcher.compare(query, k=LIBRARY_MAX_K)``) so each answered question has one; if not, the
    note says the answer did not touch the query.
    """
    speakers_of = document_speakers(catalog.questions)
    matched: list[tuple[str, int]] = []
    texts: dict[tuple[str, int], str] = {}
    for h in result.hits:
        key = (h.source, h.question_number)
        if key not in texts:
            texts[key] = h.question
            matched.append(key)
            if len(matched) == k:
                break
    pool = {h.passage_id: h for h in [*result.hits, *(h for hs in result.speakers.values() for h in hs)]}
    ranked = sorted(pool.values(), key=lambda h: (-h.score, h.rank))

    rows = []
    for key in matched:
        q = catalog.question(*key)
        speakers = speakers_of.get(key[0]) or sorted({h.speaker for h in ranked if h.source == key[0]})
        entries = []
        for s in speakers:
            name = catalog.speaker_name(key[0], s)
            own = [h for h in ranked if (h.source, h.question_number) == key and h.speaker == s]
            if own:
                entries.append(CompareEntry(s, key[0], key[1], texts[key], tuple(own[:per_question]), name=name))
            elif q is not None and s not in q.speakers:
                entries.append(CompareEntry(s, key[0], key[1], texts[key], note=f"{name} did not answer Q{key[1]}.",
                                            name=name))
            else:
                entries.append(CompareEntry(s, key[0], key[1], texts[key],
                                            note=f"{name} answered Q{key[1]}, but not on this point.", name=name))
        both = q is not None and len(speakers) > 1 and set(speakers) <= set(q.speakers)
        rows.append(CompareRow(key[0], key[1], texts[key], tuple(entries), both))
    return CompareView(result.query, result.low_confidence, tuple(rows))


def with_agreement(view: CompareView, catalog: Catalog, embedder) -> CompareView:
    """The view with each row that two or more speakers answered lined up sentence by sentence
    (agree.py: "Both said", "Only AC said"), in one encode call for all its rows."""
    questions = [q for q in (catalog.question(*r.key) for r in view.rows) if q is not None and len(q.speakers) > 1]
    found = {(a.source, a.question_number): a for a in agreements(questions, embedder)}
    return replace(view, rows=tuple(replace(r, agreement=found.get(r.key)) for r in view.rows))


def compare_summary(view: CompareView, titles: dict[str, str] | None = None) -> str:
    """One line for the top of the compare view: who answered which of the matched questions.

    With ``titles`` (several documents), each question is named with its document.
    """
    if not view.rows:
        return ""

    def label(row: CompareRow) -> str:
        return f"Q{row.number} of {titles.get(row.source, row.source)}" if titles else f"Q{row.number}"

    if titles:
        return "Matched questions: " + "; ".join(label(r) for r in view.rows) + "."
    answered: dict[str, list[str]] = {}
    for row in view.rows:
        for e in row.entries:
            answered.setdefault(e.name or e.speaker, [])
            if e.hits:
                answered[e.name or e.speaker].append(label(row))
    parts = [f"{s} on {', '.join(qs)}" if qs else f"{s} on none of them" for s, qs in answered.items()]
    return f"Matched questions: {', '.join(label(r) for r in view.rows)}. " + "; ".join(parts) + "."


# -- the library ------------------------------------------------------------------------------------
def library_caption(documents: list[DocumentRecord], questions: int) -> str:
    """The line under the page title.

    One document: its title, date and event, its number of questions and its speakers (display
    names where given, initials otherwise). Several: how many documents and questions.
    """
    if len(documents) > 1:
        return f"Search {plural(len(documents), 'document')}, {plural(questions, 'audience question')}: " \
               "who said what, and which question they were answering."
    if not documents:
        return f"Search {plural(questions, 'audience question')} and the panel's answers."
    doc = documents[0]
    when = ", ".join(x for x in (doc.event, doc.date) if x)
    speakers = [s.display for s in doc.speaker_details] or doc.speakers
    by = f" answered by {and_list(speakers)}" if speakers else ""
    return (f"Search “{doc.title or doc.source}”" + (f" ({when})" if when else "")
            + f": {plural(questions, 'audience question')}{by}.")


def document_details(doc: DocumentRecord) -> list[str]:
    """What Browse says under a document's title: event, date, and its speakers with their roles."""
    speakers = [f"{s.display}, {s.role}" if s.role else s.display for s in doc.speaker_details] or doc.speakers
    return [doc.event, doc.date] + (["Speakers: " + "; ".join(speakers)] if speakers else [])


def added_speaker_names(report) -> dict[str, list[str]]:
    """Each added document's speakers by display name, from the rebuilt index's manifest
    (a ``library.AddReport``)."""
    records = [DocumentRecord.from_json(d) for d in (report.manifest or {}).get("documents", [])]
    return {d.source: [s.display for s in d.speaker_details] for d in records}


def panelists_line(documents: list[DocumentRecord], sources: Iterable[str] = ()) -> str:
    """Who the panelists are, for the top of the page: name and role where the metadata gives them,
    "panelist AC" otherwise (names are never guessed). Empty for a library of several documents,
    where each document's heading in Browse introduces its own panel."""
    chosen = [d for d in documents if not sources or d.source in sources]
    if len(chosen) != 1:
        return ""
    people = [", ".join(x for x in (s.name or f"panelist {s.initials}", s.role) if x)
              + (f" ({s.initials})" if s.name else "") for s in chosen[0].speaker_details]
    return f"The panel: {'; '.join(people)}." if people else ""


def speaker_options(documents: list[DocumentRecord], sources: Iterable[str] = ()) -> dict[str, str]:
    """initials -> the label of the speaker filter's option, for the chosen documents (all if none).

    A label is the display name only when every chosen document with those initials gives the
    same name; otherwise the initials (two documents' "AC" may be different people).
    """
    chosen = set(sources or ())
    names: dict[str, set[str]] = {}
    for d in documents:
        if chosen and d.source not in chosen:
            continue
        for s in d.speaker_details:
            names.setdefault(s.initials, set()).add(s.name)
    return {s: (next(iter(n)) or s) if len(n) == 1 else s for s, n in sorted(names.items())}


# -- topics and who's who (topics.py) ---------------------------------------------------------------
@dataclass(frozen=True)
class TopicRow:
    """One topic as the Topics view lists it."""

    id: int
    label: str
    questions: tuple[tuple[str, int], ...]  # (source, number), in library order
    speakers: tuple[tuple[str, str, str, int], ...]  # (source, initials, name, answers), most first


def topic_rows(topics, catalog: Catalog) -> list[TopicRow]:
    return [TopicRow(t.id, t.label, tuple(topics.questions_of(t.id)),
                     tuple((source, initials, catalog.speaker_name(source, initials), n)
                           for (source, initials), n in topics.speakers_of(t.id)))
            for t in topics]


def coverage_table(topics, catalog: Catalog) -> list[dict]:
    """Passages per (topic, speaker), for the speaker × topic chart (every cell, zeros included)."""
    counts: dict[tuple[str, str], int] = {}
    keys = {}
    for p in catalog.passages:
        if p.kind != "chunk":
            continue
        topic = topics.label_of(topics.topic_of(p.source, p.question_number, p.speaker))
        name = catalog.speaker_name(p.source, p.speaker)
        counts[(topic, name)] = counts.get((topic, name), 0) + 1
        keys[name] = True
    return [{"topic": t.label, "speaker": name, "passages": counts.get((t.label, name), 0)}
            for t in topics for name in keys]


@dataclass(frozen=True)
class SpeakerCard:
    """Who a speaker is: name and role where metadata gives them, what they answered and stood for."""

    source: str
    initials: str
    name: str
    role: str
    questions: tuple[int, ...]
    topics: tuple[tuple[str, int], ...]  # (label, answers), most first
    terms: tuple[str, ...]  # distinctive words (c-TF-IDF by speaker)
    document: str = ""  # its title, when the library holds several


def speaker_cards(catalog: Catalog, terms: dict, spoke_on: dict) -> list[SpeakerCard]:
    cards = []
    for source in catalog.sources:
        for initials in catalog.speakers_of([source]):
            person = catalog.speaker(source, initials)
            answered = tuple(q.number for q in catalog.questions if q.source == source and initials in q.speakers)
            cards.append(SpeakerCard(source, initials, person.name or f"panelist {initials}", person.role, answered,
                                     tuple(spoke_on.get((source, initials), ())[:3]),
                                     tuple(terms.get((source, initials), ())[:8]),
                                     catalog.titles.get(source, "") if len(catalog.sources) > 1 else ""))
    return cards
