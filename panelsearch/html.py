"""Every piece of markup the page draws, built from escaped text.

Corpus, metadata and query text go through ``escape`` (HTML-escaped, Markdown-neutral, bare
addresses no links) before any ``<mark>``, ``<abbr>`` or layout tag is added; the app only
passes these strings to ``st.markdown(..., unsafe_allow_html=True)``.
"""
from __future__ import annotations

import hashlib
import re
from typing import Iterable, Mapping

from .models import Hit, QuestionMatch
from .text import SHOWN_WORD_RE, acronym_key, content_tokens, tokens
from .wording import question_label, short_question

# Dark enough for white text (contrast >= 4.5:1), distinct for the common kinds of colour blindness.
PALETTE = ("#1d4ed8", "#b45309", "#047857", "#7c3aed", "#be123c", "#0e7490", "#4d7c0f", "#a21caf")
# Labels from search.relevance_label, weakest to strongest; unknown labels show without dots.
RELEVANCE_LEVELS = {"weak match": 1, "partial match": 2, "good match": 3, "strong match": 4}
_URL_RE = re.compile(r"https?://\S+|www\.\S+")

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
    """Text made safe for ``st.markdown(..., unsafe_allow_html=True)``, and for captions and alerts.

    HTML-escaped (so ``<script>`` is shown, not run) and with Markdown's own characters as entities,
    so corpus text like ``*`` or ``$x$`` or ``:red[...]`` is shown as typed. Newlines become spaces:
    a blank line would end the HTML block and hand the rest to the Markdown parser. Bare addresses
    are no links (see _AUTOLINK_TRIGGER_RE).
    """
    return _escape(_AUTOLINK_TRIGGER_RE.sub(WORD_JOINER, " ".join(str(text).split())))


def _escape(text: str) -> str:
    return text.translate(_ENTITIES)


def query_terms(query: str, prepared: str | None = None) -> frozenset[str]:
    """The words the query is about, as BM25 matched them (text.content_tokens), for highlighting.

    ``prepared`` is the query as the search saw it (typos repaired), so a misspelt query still
    highlights the corrected word; a glossary expansion appended in brackets is dropped, since
    "QI" should not light up every "improvement".
    """
    texts = [query]
    if prepared:
        if not query.rstrip().endswith(")"):
            prepared = re.sub(r"\s*\([^()]*\)\s*$", "", prepared)
        texts.append(prepared)
    return frozenset(t for text in texts for t in content_tokens(text))


def highlight(text: str, terms: Iterable[str] = (), glossary: Mapping[str, str] | None = None) -> str:
    """Escaped HTML of ``text`` with query words in ``<mark>`` and acronyms in ``<abbr title=…>``.

    Web addresses are left as they are (the "nhs" of england.nhs.uk is not an acronym to explain).
    """
    terms = frozenset(terms)
    text = re.sub(r"\s+", " ", str(text))  # spaces at the ends stay: answer_html joins pieces
    out, pos = [], 0
    for url in _URL_RE.finditer(text):
        address = url.group(0).rstrip(".,;:!?)'\"")  # the sentence's punctuation is not the address's
        out.append(_highlight_words(text[pos:url.start()], terms, glossary))
        out.append(link_html(address))
        pos = url.start() + len(address)
    out.append(_highlight_words(text[pos:], terms, glossary))
    return "".join(out)


def link_html(address: str) -> str:
    """A web address in an answer as a link that opens in a new tab. Only http(s) and www.
    addresses reach here (_URL_RE); the address is escaped in the attribute and in the text."""
    href = address if address.lower().startswith(("http://", "https://")) else f"https://{address}"
    return (f'<a href="{_escape(href)}" target="_blank" rel="noopener noreferrer nofollow">'
            f'{_escape(address)}</a>')


def _highlight_words(text: str, terms: frozenset[str], glossary: Mapping[str, str] | None) -> str:
    out, pos = [], 0
    for m in SHOWN_WORD_RE.finditer(text):
        out.append(_escape(text[pos:m.start()]))
        word = m.group(0)
        piece = _escape(word)
        key = acronym_key(word, glossary) if glossary else None
        if key:
            # tabindex: a keyboard reaches it too, and the page's CSS spells the meaning out on focus
            piece = f'<abbr title="{escape(key + ": " + glossary[key])}" tabindex="0">{piece}</abbr>'
        if terms and terms.intersection(tokens(word)):
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
def speaker_colour(source: str, speaker: str) -> str:
    """A speaker's badge colour: a function of (document, initials) alone, so it is the same on every
    page and after any upload."""
    digest = hashlib.blake2b(f"{source}\0{speaker}".encode(), digest_size=4).digest()
    return PALETTE[int.from_bytes(digest, "little") % len(PALETTE)]


def who_id(source: str, speaker: str) -> str:
    """The element id of a speaker's Who's who card, which every badge of theirs links to: a hash of
    (document, initials), so any file name makes a valid id."""
    return "who-" + hashlib.blake2b(f"{source}\0{speaker}".encode(), digest_size=6).hexdigest()


def speaker_badge(source: str, speaker: str, name: str = "", link: bool = True) -> str:
    """A coloured badge: the display name when metadata gives one, else the initials; with a
    name, hovering shows the initials too. With ``link``, the badge leads to the speaker's card in
    Who's who (every view shows the cards; the Topics view holds them in its own section)."""
    colour = speaker_colour(source, speaker)
    if name and name != speaker:
        badge = (f'<span class="ps-badge" style="background:{colour}" title="{escape(speaker)}">'
                 f'{escape(name)}</span>')
    else:
        badge = f'<span class="ps-badge" style="background:{colour}">{escape(speaker)}</span>'
    if not link:
        return badge
    who = escape(name if name and name != speaker else f"panelist {speaker}")
    return (f'<a class="ps-who-link" href="#{who_id(source, speaker)}" title="Who\'s who: {who}" '
            f'aria-label="{who}: who\'s who">{badge}</a>')


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


def card_html(hit: Hit, terms: Iterable[str] = (),
              glossary: Mapping[str, str] | None = None, extra: str = "", show_title: bool = False,
              show_question: bool = True) -> str:
    """One result card: speaker badge, relevance, highlighted passage, and (``show_question``) the
    audience question it answered; with ``show_title`` (several documents) the document's title.
    Compare's cells leave the question out: their row names it."""
    label = question_label(hit.question_number, hit.question)
    return (
        '<div class="ps-card">'
        f'<div class="ps-meta">{speaker_badge(hit.source, hit.speaker, hit.speaker_name)}'
        f'{relevance_html(hit.relevance)}</div>'
        f'<div class="ps-passage">{highlight(hit.text, terms, glossary)}</div>'
        + (f'<div class="ps-source" title="{escape(hit.question)}">{highlight(label, (), glossary)}</div>'
           if show_question else "")
        + (doc_html(hit.title or hit.source) if show_title else "")
        + (f'<div class="ps-extra">{escape(extra)}</div>' if extra else "")
        + "</div>"
    )


def question_html(number: int, question: str, glossary: Mapping[str, str] | None = None) -> str:
    """A question heading for browse and compare: number, then the full question."""
    return (f'<div class="ps-question"><span class="ps-qnum">Q{number}</span> '
            f'{highlight(question, (), glossary)}</div>')


def answer_block_html(source: str, speaker: str, body_html: str, name: str = "") -> str:
    """One speaker's answer (``body_html`` already escaped by ``answer_html``) behind a badge."""
    return f'<div class="ps-answer">{speaker_badge(source, speaker, name)} {body_html}</div>'


def note_html(text: str) -> str:
    """A quiet note in a column, e.g. "SK did not answer Q9."."""
    return f'<div class="ps-note">{escape(text)}</div>'


def compare_cell_html(hits, answer: str, terms: Iterable[str] = (), glossary: Mapping[str, str] | None = None) -> str:
    """A speaker's cell in Compare: badge and relevance of their best passage, then their whole answer
    with every passage that matched marked inside it (the answer is shown once, never repeated)."""
    best = hits[0]
    return ('<div class="ps-card">'
            f'<div class="ps-meta">{speaker_badge(best.source, best.speaker, best.speaker_name)}'
            f'{relevance_html(best.relevance)}</div>'
            f'<div class="ps-answer">{answer_html(answer, [h.text for h in hits], terms, glossary)}</div></div>')


def agreement_html(agreement, names: Mapping[str, str], glossary: Mapping[str, str] | None = None) -> str:
    """Where the panelists make the same point: "Both said" pairs side by side, then what only one
    of them said. Their sentences quoted as spoken (agree.py); never a claim that they disagree."""
    def quote(speaker: str, sentence: str) -> str:
        return (f'<div class="ps-agree-quote">{speaker_badge(agreement.source, speaker, names.get(speaker, speaker))} '
                f'{highlight(sentence, (), glossary)}</div>')

    parts = []
    if agreement.both:
        pairs = "".join(f'<div class="ps-agree-pair">{quote(p.a_speaker, p.a_sentence)}{quote(p.b_speaker, p.b_sentence)}'
                        "</div>" for p in agreement.both)
        parts.append(f'<div class="ps-agree-head">Both said</div>{pairs}')
    else:
        parts.append('<div class="ps-agree-head">Both said</div><div class="ps-note">No sentence of one answer makes '
                     "the same point as a sentence of the other.</div>")
    for speaker, sentences in agreement.only.items():
        if sentences:
            items = "".join(f"<li>{highlight(s, (), glossary)}</li>" for s in sentences)
            parts.append(f'<div class="ps-agree-head">Only {escape(names.get(speaker, speaker))} said</div>'
                         f'<ul class="ps-agree-only">{items}</ul>')
    return '<div class="ps-agree">' + "".join(parts) + "</div>"


def topic_html(row, glossary: Mapping[str, str] | None = None) -> str:
    """A topic (views.TopicRow): its label, then who spoke on it."""
    who = " ".join(f'{speaker_badge(source, initials, name)} <span class="ps-extra">×{n}</span>'
                   for source, initials, name, n in row.speakers)
    return (f'<div class="ps-question">{highlight(row.label, (), glossary)}</div>'
            f'<div class="ps-by">{len(row.questions)} question{"s" if len(row.questions) != 1 else ""} · {who}</div>')


def speaker_card_html(card) -> str:
    """Who's who (views.SpeakerCard): badge, name and role, questions answered, topics, distinctive terms."""
    role = f"<span>{escape(card.role)}</span>" if card.role else ""
    topics = "; ".join(f"{escape(label)} ({n})" for label, n in card.topics)
    if card.name == f"panelist {card.initials}":  # no name given: the initials, then "panelist AC"
        badge = f"{speaker_badge(card.source, card.initials, link=False)} <strong>{escape(card.name)}</strong>"
    else:  # the name, on the badge as everywhere else on the page
        badge = speaker_badge(card.source, card.initials, card.name, link=False)
    return (f'<div class="ps-who" id="{who_id(card.source, card.initials)}">'
            f'<div class="ps-meta">{badge}{role}</div>'
            + (f'<div class="ps-extra">{escape(card.document)}</div>' if card.document else "")
            + f'<div class="ps-by">Answered {escape(", ".join(f"Q{n}" for n in card.questions))}</div>'
            + (f'<div class="ps-by">Spoke most on: {topics}</div>' if topics else "")
            + (f'<div class="ps-by">Words that set them apart: {escape(", ".join(card.terms))}</div>' if card.terms else "")
            + "</div>")


def empty_cell_html(source: str, speaker: str, name: str, note: str) -> str:
    """A compare cell with no passage: the speaker's badge and why ("SK did not answer Q9.")."""
    return f'<div class="ps-meta">{speaker_badge(source, speaker, name)}</div>' + note_html(note)


def closest_question_html(match: QuestionMatch, names: Mapping[str, str], glossary: Mapping[str, str] | None,
                          show_title: bool) -> str:
    """A question the panel did answer, offered when it did not answer the query; ``names`` maps
    its speakers' initials to display names."""
    badges = " ".join(speaker_badge(match.source, s, names.get(s, s)) for s in match.speakers)
    return (question_html(match.number, short_question(match.question, 220), glossary)
            + (doc_html(match.title or match.source) if show_title else "")
            + f'<div class="ps-by">Answered by {badges}</div>')


def document_heading_html(title: str, details: Iterable[str]) -> str:
    """A document's title above its questions in Browse, then its event, date and speakers."""
    details = [d for d in details if d]
    return (f'<div class="ps-dochead">{escape(title)}</div>'
            + (f'<div class="ps-docmeta">{escape(" · ".join(details))}</div>' if details else ""))


def pack_item_html(n: int, item, glossary: Mapping[str, str] | None, missing: bool = False) -> str:
    """One passage of the discussion pack (a ``pack.PackItem``), numbered, with its source; ``missing``
    when the library no longer holds it as saved (the saved text is still shown)."""
    label = question_label(item.question_number, item.question)
    gone = ('<span class="ps-gone">No longer in the library: the text as it was saved</span>' if missing else "")
    return ('<div class="ps-card">'
            f'<div class="ps-meta"><strong>{n}.</strong>{speaker_badge(item.source, item.speaker, item.speaker_name)}'
            f'{gone}</div>'
            f'<div class="ps-source">{highlight(label, (), glossary)}</div>'
            f'<div class="ps-pack-quote">{highlight(item.text, (), glossary)}</div>'
            f'<div class="ps-extra">Source: {escape(item.source_label)}</div></div>')


def pack_count_html(count: int) -> str:
    """The pack's count, for the top of a phone's screen (CSS shows it only on narrow screens)."""
    return f'<div class="ps-packcount" role="status">Pack: {count}</div>'


def small_html(text: str) -> str:
    """A line of small print, e.g. a passage offered in a menu."""
    return f'<div class="ps-extra">{escape(text)}</div>'


def glossary_html(rows: Iterable[tuple[str, str]]) -> str:
    items = "".join(f"<dt>{escape(a)}</dt><dd>{escape(e)}</dd>" for a, e in rows)
    return f'<dl class="ps-glossary">{items}</dl>'
