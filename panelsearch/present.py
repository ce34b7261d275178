"""Presentation stage: what the web page shows, computed by plain functions the app only draws.

Everything that becomes HTML is built here from escaped text: corpus and query text go through
``escape`` (HTML-escaped, Markdown-neutral) before any ``<mark>`` or ``<abbr>`` tag is added.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterable, Mapping
from urllib.parse import urlencode

import Stemmer

from .models import CompareResult, Hit

VIEWS = ("search", "compare", "browse", "pack")
VIEW_LABELS = {"search": "Search", "compare": "Compare", "browse": "Browse", "pack": "Pack"}
DEFAULT_K = 5
MAX_K = 20  # the page's slider; the library allows more, a reader does not want more
MAX_QUERY_CHARS = 500

# Dark enough for white text (contrast >= 4.5:1), distinct for the common kinds of colour blindness.
PALETTE = ("#1d4ed8", "#b45309", "#047857", "#7c3aed", "#be123c", "#0e7490")

# Labels from search.relevance_label, weakest to strongest; unknown labels show without dots.
RELEVANCE_LEVELS = {"weak match": 1, "partial match": 2, "good match": 3, "strong match": 4}

EXAMPLE_QUERIES = (
    "We have no staff time for co-production, can it still work?",
    "How do we pay experts by experience?",
    "What training do experts by experience need?",
    "How early should patients be involved in a project?",
    "How do we create a safe space for staff and patients?",
)

_STEMMER = Stemmer.Stemmer("english")
_TOKEN_RE = re.compile(r"[A-Za-z0-9]+(?:[/'’-][A-Za-z0-9]+)*")
_URL_RE = re.compile(r"https?://\S+|www\.\S+")
# Words a query uses to ask, not to say what it is about: never highlighted.
STOPWORDS = frozenset("""
a about above after again against all also am an and any are as at be been before being below
between both but by can could did do does doing down during each etc few for from further get
got had has have having he her here hers him his how i if in into is it its itself just may me
might more most much my no nor not now of off on once only or other our ours out over own same
she should so some still such than that the their theirs them then there these they this those
through to too under until up us very was we were what when where which while who whom why will
with would you your yours yet really anyone anybody something thing things way ways lot need needs
""".split())

# One pass over every character HTML or Markdown gives meaning to (two passes would re-escape
# the "#" and "&" of the first pass's entities).
_ENTITIES = str.maketrans({
    "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;",
    "$": "&#36;", "*": "&#42;", "_": "&#95;", "`": "&#96;", "[": "&#91;", "]": "&#93;",
    "~": "&#126;", "\\": "&#92;", ":": "&#58;", "#": "&#35;", "|": "&#124;",
    "@": "&#64;",
})
# Markdown (GFM) makes links of bare addresses: www.x, https://x and a@b.c. It finds them in the
# text after entities are decoded, so entities alone do not stop it; a word joiner (U+2060, not
# shown and not read aloud) inside each trigger does.
_AUTOLINK_TRIGGER_RE = re.compile(r"(?<=www)(?=\.)|(?<=:)(?=//)|(?=@)", re.IGNORECASE)
WORD_JOINER = "\u2060"


# -- escaping and highlighting -------------------------------------------------------------------
def escape(text: str) -> str:
    """Text made safe for ``st.markdown(..., unsafe_allow_html=True)``.

    HTML-escaped (so ``<script>`` is shown, not run) and with Markdown's own characters as entities,
    so corpus text like ``*`` or ``$x$`` or ``:red[...]`` is shown as typed. Newlines become spaces:
    a blank line would end the HTML block and hand the rest to the Markdown parser. Bare addresses
    are no links (see _AUTOLINK_TRIGGER_RE): this text goes into captions and alerts too.
    """
    return _escape(_AUTOLINK_TRIGGER_RE.sub(WORD_JOINER, " ".join(str(text).split())))


def _escape(text: str) -> str:
    return text.translate(_ENTITIES)


def _word_key(word: str) -> str:
    return _STEMMER.stemWord(re.sub(r"[-'’]", "", word.lower()))


def query_terms(query: str, prepared: str | None = None) -> frozenset[str]:
    """Stemmed words of the query worth highlighting (stop words dropped).

    ``prepared`` is the query as the search saw it (``Searcher.prepare``: typos repaired), so a
    misspelt query still highlights the corrected word; a glossary expansion the search appended in
    brackets is dropped, since "QI" should not light up every "improvement".
    """
    texts = [query]
    if prepared:
        if not query.rstrip().endswith(")"):
            prepared = re.sub(r"\s*\([^()]*\)\s*$", "", prepared)
        texts.append(prepared)
    terms = set()
    for text in texts:
        for word in _TOKEN_RE.findall(text):
            if word.lower() not in STOPWORDS and (len(word) > 2 or word.isupper()):
                terms.add(_word_key(word))
    return frozenset(terms)


def acronym_key(word: str, glossary: Mapping[str, str]) -> str | None:
    """The glossary entry a word is (``EBEs`` -> ``EBE``, ``lxp`` -> ``LXP``), or None."""
    upper = word.upper()
    if upper in glossary:
        return upper
    if upper.endswith("S") and upper[:-1] in glossary:
        return upper[:-1]
    return None


def highlight(text: str, terms: Iterable[str] = (), glossary: Mapping[str, str] | None = None) -> str:
    """Escaped HTML of ``text`` with query words in ``<mark>`` and acronyms in ``<abbr title=…>``.

    Web addresses are left as they are (the "nhs" of england.nhs.uk is not an acronym to explain).
    """
    terms = frozenset(terms)
    text = re.sub(r"\s+", " ", str(text))  # spaces at the ends stay: answer_html joins pieces
    out, pos = [], 0
    for url in _URL_RE.finditer(text):
        out.append(_highlight_words(text[pos:url.start()], terms, glossary))
        out.append(_escape(url.group(0)))
        pos = url.end()
    out.append(_highlight_words(text[pos:], terms, glossary))
    return "".join(out)


def _highlight_words(text: str, terms: frozenset[str], glossary: Mapping[str, str] | None) -> str:
    out, pos = [], 0
    for m in _TOKEN_RE.finditer(text):
        out.append(_escape(text[pos:m.start()]))
        word = m.group(0)
        piece = _escape(word)
        key = acronym_key(word, glossary) if glossary else None
        if key:
            piece = f'<abbr title="{escape(key + ": " + glossary[key])}">{piece}</abbr>'
        if terms and _word_key(word) in terms:
            piece = f"<mark>{piece}</mark>"
        out.append(piece)
        pos = m.end()
    out.append(_escape(text[pos:]))
    return "".join(out)


def passage_spans(answer: str, passages: Iterable[str]) -> list[tuple[int, int]]:
    """Where each passage sits in its (whitespace-normalised) answer, sorted, overlaps merged."""
    answer = " ".join(answer.split())
    spans = []
    for p in passages:
        p = " ".join(p.split())
        start = answer.find(p) if p else -1
        if start >= 0:
            spans.append((start, start + len(p)))
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def answer_html(answer: str, passages: Iterable[str] = (), terms: Iterable[str] = (),
                glossary: Mapping[str, str] | None = None) -> str:
    """A whole answer as escaped HTML, each matched passage inside ``<span class="ps-matched">``.

    A passage that is the whole answer is not marked: there is nothing to tell it apart from.
    """
    answer = " ".join(answer.split())
    spans = passage_spans(answer, passages)
    if spans == [(0, len(answer))]:
        spans = []
    out, pos = [], 0
    for start, end in spans:
        out.append(highlight(answer[pos:start], terms, glossary))
        out.append(f'<span class="ps-matched">{highlight(answer[start:end], terms, glossary)}</span>')
        pos = end
    out.append(highlight(answer[pos:], terms, glossary))
    return "".join(out)


# -- small pieces of a card ----------------------------------------------------------------------
def speaker_colours(speakers: Iterable[str]) -> dict[str, str]:
    """One colour per speaker, stable for a corpus: assigned in alphabetical order."""
    return {s: PALETTE[i % len(PALETTE)] for i, s in enumerate(sorted(set(speakers)))}


def speaker_badge(speaker: str, colours: Mapping[str, str], name: str = "") -> str:
    """A coloured badge: the display name when metadata gives one, else the initials.

    The colour stays per initials; with a name, hovering shows the initials too.
    """
    colour = colours.get(speaker, "#475569")
    if name and name != speaker:
        return (f'<span class="ps-badge" style="background:{colour}" title="{escape(speaker)}">'
                f'{escape(name)}</span>')
    return f'<span class="ps-badge" style="background:{colour}">{escape(speaker)}</span>'


def speaker_name(names: Mapping[tuple[str, str], str] | None, source: str, speaker: str) -> str:
    """The display name of a document's speaker (``Searcher.speaker_names``), else the initials."""
    return (names or {}).get((source, speaker)) or speaker


def doc_html(title: str) -> str:
    """The document a card or section comes from (shown when the library has several)."""
    return f'<div class="ps-doc">{escape(title)}</div>' if title else ""


def relevance_level(label: str) -> int:
    """0 (unknown) to 4 (strong match)."""
    return RELEVANCE_LEVELS.get((label or "").strip().lower(), 0)


def relevance_html(label: str) -> str:
    """A relevance label a person can read, with a four-dot gauge: ``●●●○ Good match``."""
    level = relevance_level(label)
    text = escape((label or "match").capitalize())
    dots = f'<span class="ps-dots" aria-hidden="true">{"●" * level}{"○" * (4 - level)}</span> ' if level else ""
    return f'<span class="ps-rel ps-rel-{level}">{dots}{text}</span>'


def short_question(question: str, limit: int = 150) -> str:
    """The question, cut at a word boundary near ``limit`` characters (long audience questions)."""
    question = " ".join(question.split())
    if len(question) <= limit:
        return question
    cut = question[:limit].rsplit(" ", 1)[0].rstrip(",;:.")
    return cut + "…"


def question_label(number: int, question: str, limit: int | None = 150) -> str:
    """Plain text: ``Q4 · How early is early when including experts by experience?``."""
    return f"Q{number} · {short_question(question, limit) if limit else ' '.join(question.split())}"


def card_html(hit: Hit, colours: Mapping[str, str], terms: Iterable[str] = (),
              glossary: Mapping[str, str] | None = None, extra: str = "", show_title: bool = False) -> str:
    """One result card: speaker badge, relevance, highlighted passage, source question, and with
    ``show_title`` (a library of several documents) the document's title."""
    label = question_label(hit.question_number, hit.question)
    return (
        '<div class="ps-card">'
        f'<div class="ps-meta">{speaker_badge(hit.speaker, colours, hit.speaker_name)}'
        f'{relevance_html(hit.relevance)}</div>'
        f'<div class="ps-passage">{highlight(hit.text, terms, glossary)}</div>'
        f'<div class="ps-source" title="{escape(hit.question)}">{highlight(label, (), glossary)}</div>'
        + (doc_html(hit.title or hit.source) if show_title else "")
        + (f'<div class="ps-extra">{escape(extra)}</div>' if extra else "")
        + "</div>"
    )


def question_html(number: int, question: str, glossary: Mapping[str, str] | None = None) -> str:
    """A question heading for browse and compare: number, then the full question."""
    return (f'<div class="ps-question"><span class="ps-qnum">Q{number}</span> '
            f'{highlight(question, (), glossary)}</div>')


def answer_block_html(speaker: str, body_html: str, colours: Mapping[str, str], name: str = "") -> str:
    """One speaker's answer (``body_html`` already escaped by ``answer_html``) behind a badge."""
    return f'<div class="ps-answer">{speaker_badge(speaker, colours, name)} {body_html}</div>'


def note_html(text: str) -> str:
    """A quiet note in a column, e.g. "SK did not answer Q9."."""
    return f'<div class="ps-note">{escape(text)}</div>'


# -- grouping search results ---------------------------------------------------------------------
@dataclass(frozen=True)
class QuestionGroup:
    """The hits that come from one audience question, best first."""

    source: str
    number: int
    question: str
    hits: tuple[Hit, ...]

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


# -- questions and answers -----------------------------------------------------------------------
def find_question(questions: list[dict], number: int, source: str | None = None) -> dict | None:
    return next((q for q in questions if q["number"] == number and (source is None or q["source"] == source)),
                None)


def answered_by(question: dict) -> list[str]:
    return list(dict.fromkeys(a["speaker"] for a in question.get("answers", [])))


def browse_questions(questions: list[dict], speakers: Iterable[str] | None = None,
                     number: int | None = None, sources: Iterable[str] | None = None) -> list[dict]:
    """Questions with their answers, only the chosen speakers' answers and documents, optionally
    just one number (in each chosen document).

    A question none of the chosen speakers answered is left out.
    """
    chosen = set(speakers or ())
    docs = set(sources or ())
    out = []
    for q in questions:
        if number is not None and q["number"] != number:
            continue
        if docs and q["source"] not in docs:
            continue
        answers = [a for a in q.get("answers", []) if not chosen or a["speaker"] in chosen]
        if answers:
            out.append({**q, "answers": answers})
    return out


def by_document(questions: list[dict]) -> list[tuple[str, list[dict]]]:
    """(source, its questions) in the order the documents first appear."""
    groups: dict[str, list[dict]] = {}
    for q in questions:
        groups.setdefault(q["source"], []).append(q)
    return list(groups.items())


def document_speakers(questions: list[dict]) -> dict[str, list[str]]:
    """Each document's speakers (initials, sorted), from its answers."""
    out: dict[str, set[str]] = {}
    for q in questions:
        out.setdefault(q["source"], set()).update(answered_by(q))
    return {source: sorted(speakers) for source, speakers in out.items()}


# -- compare --------------------------------------------------------------------------------------
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
class CompareRow:
    """One matched question with a cell for each speaker of its document."""

    source: str
    number: int
    question: str
    entries: tuple[CompareEntry, ...]
    both_answered: bool = False  # every speaker of the document answered it (and there are several)

    @property
    def key(self) -> tuple[str, int]:
        return self.source, self.number


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


def align_compare(result: CompareResult, questions: list[dict], k: int = 3, per_question: int = 2,
                  names: Mapping[tuple[str, str], str] | None = None) -> CompareView:
    """Line up the speakers' passages question by question.

    The matched questions are the first ``k`` distinct questions of the joint ranking
    (``result.hits``, every speaker ranked together). Each row has a cell for every speaker of that
    question's document (initials are unique only within a document, so two documents' "AC"s never
    share a cell): that speaker's best passages on it (up to ``per_question``), or a note "SK did
    not answer Q9." when they did not answer it; a row is never padded with passages from
    questions that did not match. ``result`` should hold every passage
    (``Searcher.compare(query, k=MAX_K)``) so each answered question has one; if not, the note
    says the answer did not touch the query.
    """
    index = {(q["source"], q["number"]): q for q in questions}
    speakers_of = document_speakers(questions)
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
        q = index.get(key)
        speakers = speakers_of.get(key[0]) or sorted({h.speaker for h in ranked if h.source == key[0]})
        entries = []
        for s in speakers:
            name = speaker_name(names, key[0], s)
            own = [h for h in ranked if (h.source, h.question_number) == key and h.speaker == s]
            if own:
                entries.append(CompareEntry(s, key[0], key[1], texts[key], tuple(own[:per_question]), name=name))
            elif q is not None and s not in answered_by(q):
                entries.append(CompareEntry(s, key[0], key[1], texts[key], note=f"{name} did not answer Q{key[1]}.",
                                            name=name))
            else:
                entries.append(CompareEntry(s, key[0], key[1], texts[key],
                                            note=f"{name} answered Q{key[1]}, but not on this point.", name=name))
        both = q is not None and len(speakers) > 1 and set(speakers) <= set(answered_by(q))
        rows.append(CompareRow(key[0], key[1], texts[key], tuple(entries), both))
    return CompareView(result.query, result.low_confidence, tuple(rows))


def compare_summary(view: CompareView, titles: Mapping[str, str] | None = None) -> str:
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


# -- the library ---------------------------------------------------------------------------------
def and_list(items: Iterable[str]) -> str:
    """'A', 'A and B', 'A, B and C'."""
    items = list(items)
    return " and ".join(items) if len(items) < 3 else ", ".join(items[:-1]) + " and " + items[-1]


def plural(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def library_caption(documents: list[dict], questions: int) -> str:
    """The line under the page title, from the index manifest's document records.

    One document: its title, date and event, its number of questions and its speakers (display
    names where given, initials otherwise). Several: how many documents and questions.
    """
    if len(documents) > 1:
        return f"Search {plural(len(documents), 'document')}, {plural(questions, 'audience question')}: " \
               "who said what, and which question they were answering."
    if not documents:
        return f"Search {plural(questions, 'audience question')} and the panel's answers."
    doc = documents[0]
    when = ", ".join(x for x in (doc.get("event", ""), doc.get("date", "")) if x)
    speakers = [s.get("display") or s["initials"] for s in doc.get("speaker_details", [])] or doc.get("speakers", [])
    by = f" answered by {and_list(speakers)}" if speakers else ""
    return (f"Search “{doc.get('title') or doc['source']}”" + (f" ({when})" if when else "")
            + f": {plural(questions, 'audience question')}{by}.")


def speaker_options(documents: list[dict], sources: Iterable[str] = ()) -> dict[str, str]:
    """initials -> the label of the speaker filter's option, for the chosen documents (all if none).

    A label is the display name only when every chosen document with those initials gives the
    same name; otherwise the initials (two documents' "AC" may be different people).
    """
    chosen = set(sources or ())
    names: dict[str, set[str]] = {}
    for d in documents:
        if chosen and d["source"] not in chosen:
            continue
        details = d.get("speaker_details") or [{"initials": s} for s in d.get("speakers", [])]
        for s in details:
            names.setdefault(s["initials"], set()).add(s.get("name") or "")
    return {s: (next(iter(n)) or s) if len(n) == 1 else s for s, n in sorted(names.items())}


# -- the page's state in the URL -----------------------------------------------------------------
@dataclass(frozen=True)
class PageState:
    """What a link reproduces: the view, the query and the filters."""

    view: str = "search"
    query: str = ""
    k: int = DEFAULT_K
    speakers: tuple[str, ...] = ()  # empty: every speaker
    grouped: bool = True
    q: int | None = None  # the question open in browse (in each chosen document)
    docs: tuple[str, ...] = ()  # the documents searched (sources); empty: every document


def _values(params: Mapping, key: str) -> list[str]:
    value = params.get(key)
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, (list, tuple)) else [str(value)]


def parse_params(params: Mapping, speakers: Iterable[str] | Mapping[str, Iterable[str]],
                 numbers: Iterable[int] | Mapping[str, Iterable[int]]) -> tuple[PageState, list[str]]:
    """The page state a link asks for, and a sentence for each part of the link that was ignored.

    ``params`` maps names to a value or a list of values (``st.query_params``): ``view``,
    ``query``, ``k``, ``speaker`` (repeatable or comma-separated), ``group`` (``0``/``1``), ``q``
    (a question number, for browse) and ``doc`` (a document's source, repeatable). Bad values fall
    back to the default; nothing raises.

    For a library of several documents, ``speakers`` and ``numbers`` map each source to its
    speakers and question numbers: ``doc`` is checked against the sources, and ``speaker`` and
    ``q`` against the chosen documents. Plain lists mean one document and no ``doc`` parameter.
    """
    problems: list[str] = []
    state = PageState()
    sources = list(numbers) if isinstance(numbers, Mapping) else []
    wanted_docs = [d.strip() for v in _values(params, "doc") for d in v.split(",") if d.strip()]
    docs: list[str] = []
    for d in wanted_docs:
        if d in sources:
            if d not in docs:
                docs.append(d)
        elif sources:
            problems.append(f"unknown document '{d}' (this library has {', '.join(sources)})")
    if len(sources) > 1 and docs and set(docs) != set(sources):  # every document chosen is no filter
        state = replace(state, docs=tuple(s for s in sources if s in docs))
    scope = list(state.docs) or sources
    if isinstance(speakers, Mapping):
        known_speakers = sorted({s for src in scope for s in speakers.get(src, ())})
    else:
        known_speakers = list(speakers)
    if isinstance(numbers, Mapping):
        known_numbers = {n for src in scope for n in numbers.get(src, ())}
    else:
        known_numbers = set(numbers)

    view = (_values(params, "view") or [""])[-1].strip().lower()
    if view:
        if view in VIEWS:
            state = replace(state, view=view)
        else:
            problems.append(f"unknown view '{view}' (expected one of {', '.join(VIEWS)})")

    query = " ".join((_values(params, "query") or [""])[-1].split())
    if len(query) > MAX_QUERY_CHARS:
        query = query[:MAX_QUERY_CHARS]
        problems.append(f"the query was cut to its first {MAX_QUERY_CHARS} characters")
    state = replace(state, query=query)

    raw_k = (_values(params, "k") or [""])[-1].strip()
    if raw_k:
        try:
            k = int(raw_k)
        except ValueError:
            problems.append(f"k must be a whole number, not '{raw_k}'")
        else:
            clamped = min(max(k, 1), MAX_K)
            if clamped != k:
                problems.append(f"k={k} is outside 1–{MAX_K}; using {clamped}")
            state = replace(state, k=clamped)

    wanted = [s.strip() for v in _values(params, "speaker") for s in v.split(",") if s.strip()]
    lookup = {s.lower(): s for s in known_speakers}
    chosen = []
    for s in wanted:
        if s.lower() in lookup:
            if lookup[s.lower()] not in chosen:
                chosen.append(lookup[s.lower()])
        else:
            where = "these documents have" if len(scope) > 1 else "this Q&A has"
            problems.append(f"unknown speaker '{s}' ({where} {', '.join(known_speakers)})")
    if set(chosen) != set(known_speakers):  # every speaker chosen is the same as no filter
        state = replace(state, speakers=tuple(s for s in known_speakers if s in chosen))

    group = (_values(params, "group") or [""])[-1].strip().lower()
    if group in ("0", "false", "no", "off"):
        state = replace(state, grouped=False)
    elif group not in ("", "1", "true", "yes", "on"):
        problems.append(f"group must be 0 or 1, not '{group}'")

    raw_q = (_values(params, "q") or [""])[-1].strip().lstrip("Qq")
    if raw_q:
        if raw_q.isdigit() and int(raw_q) in known_numbers:
            state = replace(state, q=int(raw_q), view=state.view if view in VIEWS else "browse")
        else:
            problems.append(f"there is no question Q{raw_q} (questions are numbered "
                            f"{min(known_numbers, default=0)}–{max(known_numbers, default=0)})")
    return state, problems


def to_params(state: PageState) -> dict[str, str | list[str]]:
    """The URL parameters for a state: only what differs from the defaults, so links stay short."""
    out: dict[str, str | list[str]] = {}
    if state.view != "search":
        out["view"] = state.view
    if state.query:
        out["query"] = state.query
    if state.k != DEFAULT_K:
        out["k"] = str(state.k)
    if state.speakers:
        out["speaker"] = list(state.speakers)
    if not state.grouped:
        out["group"] = "0"
    if state.q is not None and state.view == "browse":
        out["q"] = str(state.q)
    if state.docs:
        out["doc"] = list(state.docs)
    return out


def share_link(page_url: str, state: PageState) -> str:
    """The page's address (``st.context.url``) with the state as its query string."""
    base = (page_url or "").split("?", 1)[0].split("#", 1)[0]
    query = urlencode(to_params(state), doseq=True)
    return f"{base}?{query}" if query else base


def index_stamp(index_dir: Path, corpus_dir: Path) -> tuple:
    """Sizes and modification times of the index manifest and corpus files.

    The app caches the loaded index under this stamp, so rebuilding the index or editing the corpus
    while the page runs is noticed on the next interaction (without hashing anything).
    """
    paths = [Path(index_dir) / "manifest.json"]
    corpus = Path(corpus_dir)
    if corpus.is_dir():
        paths += sorted(p for p in corpus.iterdir() if p.is_file())
    stamp = []
    for p in paths:
        try:
            st = p.stat()
        except OSError:
            stamp.append((str(p), None))
        else:
            stamp.append((str(p), st.st_size, st.st_mtime_ns))
    return tuple(stamp)


# -- glossary ------------------------------------------------------------------------------------
def glossary_rows(glossary: Mapping[str, str], display: Mapping[str, str] | None = None) -> list[tuple[str, str]]:
    """(acronym as written, expansion) rows for the glossary panel, alphabetical.

    ``display`` maps a key to how the corpus writes it (``RCPSYCH`` -> ``RCPsych``).
    """
    display = display or {}
    return sorted(((display.get(k, k), v) for k, v in glossary.items()), key=lambda r: r[0].upper())


def acronym_spellings(texts: Iterable[str], glossary: Mapping[str, str]) -> dict[str, str]:
    """How the corpus most often writes each acronym (``RCPsych``, ``lxp``), for display."""
    counts: dict[str, dict[str, int]] = {}
    for text in texts:
        for word in _TOKEN_RE.findall(text):
            key = acronym_key(word, glossary)
            if key:
                form = word[:-1] if word.upper() != key and word[-1] in "sS" else word
                counts.setdefault(key, {}).setdefault(form, 0)
                counts[key][form] += 1
    return {k: max(forms, key=lambda f: (forms[f], f.isupper())) for k, forms in counts.items()}


def glossary_html(rows: Iterable[tuple[str, str]]) -> str:
    items = "".join(f"<dt>{escape(a)}</dt><dd>{escape(e)}</dd>" for a, e in rows)
    return f'<dl class="ps-glossary">{items}</dl>'
