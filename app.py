"""panelsearch web page (Streamlit). This file only draws and routes: panelsearch.views says what
each view shows, .html builds its markup, .urlstate reads and writes the address, .pack the pack.

Every piece of corpus or query text that reaches ``unsafe_allow_html`` was escaped by html.py.
"""
from __future__ import annotations

import os
import sys
from datetime import date
from pathlib import Path

import streamlit as st

from panelsearch import glossary as glossaries
from panelsearch import html, library, pack, urlstate, views, wording
from panelsearch.config import DEFAULT_K, LIBRARY_MAX_K, PAGE_MAX_K, PAGE_QUERY_MAX_CHARS, corpus_dir, index_dir
from panelsearch.embed import load_embedder
from panelsearch.errors import PanelsearchError, UsageError
from panelsearch.index_load import index_stamp, read_manifest
from panelsearch.models import QuestionRecord
from panelsearch.search import Searcher
from panelsearch.access import library_access
from panelsearch.agree import agreements
from panelsearch.store import SavedItem, SavedPack, Store, data_dir, mark_missing, render

# Who may change the library (access.py): read at this entry point, passed in.
ALLOW_EDIT = "--allow-edit" in sys.argv[1:] or os.environ.get("PANELSEARCH_ALLOW_EDIT") == "1"
EDITORS_TOKEN = os.environ.get("PANELSEARCH_EDITORS_TOKEN") or None

st.set_page_config(page_title="panelsearch · what did the panel say?", page_icon="🔎", layout="wide")
UPLOAD_TYPES = ["txt", "md", "pdf", "docx", "json"]  # .json: a <stem>.meta.json beside its document

REBUILD = ("Rebuild it with `.venv/bin/python -m panelsearch build` (or `make run`, which rebuilds a "
           "missing or stale index), then reload this page.")

CSS = """<style>
.ps-card {margin-bottom: .1rem}
.ps-meta {display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; margin-bottom: .45rem}
.ps-badge {display: inline-block; color: #fff; font-weight: 700; font-size: .78rem; letter-spacing: .04em;
           padding: .08rem .55rem; border-radius: .7rem; line-height: 1.5; vertical-align: .08em}
.ps-rel {font-size: .82rem; opacity: .8}
.ps-dots {color: #1d4ed8; letter-spacing: .08em; margin-right: .15rem}
.ps-rel-1 .ps-dots, .ps-rel-2 .ps-dots {color: #94a3b8}
.ps-passage {font-size: 1.05rem; line-height: 1.6}
.ps-source {font-size: .88rem; opacity: .78; margin-top: .45rem}
.ps-extra {font-size: .82rem; opacity: .7; margin-top: .25rem}
.ps-doc {font-size: .82rem; opacity: .78; margin-top: .2rem}
.ps-doc::before {content: "From: "; opacity: .8}
.ps-dochead {font-size: 1.25rem; font-weight: 700; margin: .8rem 0 .1rem}
.ps-docmeta {font-size: .88rem; opacity: .78; margin-bottom: .4rem}
.ps-by {font-size: .85rem}
.ps-question {font-weight: 600; line-height: 1.45; margin: .1rem 0 .4rem}
.ps-qnum {display: inline-block; font-weight: 700; color: #1d4ed8; margin-right: .2rem}
.ps-answer {line-height: 1.6; margin: .35rem 0 .5rem}
.ps-note {font-style: italic; opacity: .75; padding: .35rem 0}
.ps-gone {font-size: .8rem; font-weight: 600; color: #9a3412; background: #ffedd5; padding: .05rem .5rem; border-radius: .5rem}
.ps-pack-quote {border-left: 3px solid #1d4ed8; padding: .1rem 0 .1rem .8rem; margin: .4rem 0; line-height: 1.55}
.ps-passage mark, .ps-answer mark, .ps-pack-quote mark {background: #fde68a; color: #111827;
           padding: 0 .12em; border-radius: .15em}
.ps-matched {background: rgba(29, 78, 216, .13); border-bottom: 2px solid rgba(29, 78, 216, .55);
           padding: .05em 0}
h1 {font-size: 2.3rem !important}
@media (max-width: 640px) {h1 {font-size: 1.7rem !important} .ps-passage {font-size: 1rem}
  [data-testid=stMainBlockContainer] {padding-top: 3rem}}
/* On a phone the sidebar is folded away: the pack's count stays in sight at the top. */
.ps-packcount {display: none}
@media (max-width: 640px) {.ps-packcount {display: block; position: fixed; top: .75rem; right: 1rem; z-index: 999990;
  background: #1d4ed8; color: #fff; font-size: .8rem; font-weight: 600; padding: .15rem .6rem; border-radius: .8rem}}
abbr[title] {text-decoration: underline dotted; cursor: help}
abbr[title]:focus {outline: 2px solid #1d4ed8; outline-offset: 1px}
abbr[title]:focus::after {content: " (" attr(title) ")"; font-size: .85em; color: #1e3a8a}
.ps-agree-head {font-weight: 700; margin: .6rem 0 .3rem}
.ps-agree-pair {display: grid; grid-template-columns: 1fr 1fr; gap: .8rem; margin-bottom: .5rem}
.ps-agree-quote {border-left: 3px solid #cbd5e1; padding-left: .6rem; line-height: 1.5}
.ps-agree-only {margin: 0 0 .4rem 1rem}
@media (max-width: 640px) {.ps-agree-pair {grid-template-columns: 1fr}}
.ps-glossary {display: grid; grid-template-columns: max-content 1fr; gap: .2rem .9rem; margin: 0}
.ps-glossary dt {font-weight: 700}
.ps-glossary dd {margin: 0}
</style>"""


# -- loading -------------------------------------------------------------------------------------
@st.cache_resource(show_spinner="Loading the model…", max_entries=2)
def get_embedder(model: str):
    """The model, loaded once: reloading the index after an upload reuses it."""
    return load_embedder(model)


@st.cache_resource
def _store(folder: str) -> Store:
    return Store(folder)


def get_store() -> Store:
    """Saved packs: one SQLite file in the data folder ($PANELSEARCH_DATA, else ./data), made on first use."""
    return _store(str(data_dir()))


@st.cache_data(max_entries=256, show_spinner=False)
def agreement_of(question: QuestionRecord, _embedder):
    """Where the question's speakers make the same point (agree.py), computed once per question."""
    found = agreements([question], _embedder)
    return found[0] if found else None


def agreement_ui(searcher: Searcher, question: QuestionRecord, glossary, expanded: bool = False) -> None:
    """For a question two or more panelists answered: what they both said, and what only one did."""
    if len(question.speakers) < 2:
        return
    agreement = agreement_of(question, searcher.embedder)
    if agreement is None:
        return
    names = {s: searcher.catalog.speaker_name(question.source, s) for s in question.speakers}
    with st.expander(f"Where {html.escape(wording.and_list(names.values()))} make the same point",
                     icon=":material/join_inner:", expanded=expanded):
        markup(html.agreement_html(agreement, names, glossary))
        st.caption("Sentences are quoted as spoken and paired when they make a very similar point; a pair is "
                   "never a claim that they agree in every respect.")


@st.cache_resource(show_spinner="Loading the index…", max_entries=2)
def get_searcher(index_path: str, corpus_path: str, stamp: tuple) -> Searcher:
    """The loaded index; ``stamp`` changes when the index or corpus files do (a rebuild, an upload),
    forcing a reload."""
    embedder = get_embedder(read_manifest(Path(index_path))["model"])
    searcher = Searcher.load(Path(index_path), embedder=embedder, corpus_dir=Path(corpus_path))
    searcher.query("warm up the model", k=1)  # the first real search then answers at full speed
    return searcher


@st.cache_resource(max_entries=2)
def get_glossary(index_path: str, corpus_path: str, stamp: tuple) -> tuple[dict, dict]:
    """(acronym -> expansion, acronym -> how the corpus writes it) for acronyms the corpus uses."""
    searcher = get_searcher(index_path, corpus_path, stamp)
    texts = [q.question for q in searcher.questions] + [a.text for q in searcher.questions for a in q.answers]
    glossary = glossaries.build_glossary(texts)
    return glossary, glossaries.acronym_spellings(texts, glossary)


# -- state: session keys mirror the link ---------------------------------------------------------
def address() -> dict[str, list[str]]:
    """The page's address as parameter -> values."""
    return {name: st.query_params.get_all(name) for name in st.query_params}


def init_state(searcher: Searcher) -> None:
    """Take the view, query and filters from the address: on a session's first run, and whenever the
    address changed by itself (Back, Forward, an edited link) rather than by sync_url."""
    ss = st.session_state
    if not ss.get("initialised"):
        ss.initialised = True
    elif address() == ss.get("address_written"):
        return
    state, problems = urlstate.parse_params(address(), views.document_speakers(searcher.questions),
                                            views.question_numbers(searcher.catalog))
    ss.w_query = state.query
    ss.w_k = state.k
    ss.w_docs = list(state.docs)
    ss.w_speakers = list(state.speakers) or searcher.catalog.speakers_of(list(state.docs) or None)
    ss.w_grouped = state.grouped
    ss.view = urlstate.VIEWS[state.view]
    ss.browse_q = state.q
    ss.pack_id = state.pack if state.pack and get_store().pack(state.pack) is not None else ""
    if state.pack and not ss.pack_id:
        problems.append("the pack in the link was not found (it may have been emptied and removed)")
    ss.link_problems = problems


def open_pack() -> SavedPack | None:
    """The saved pack this page has open, read once per run; its passage ids mark the Add buttons."""
    ss = st.session_state
    try:
        saved = get_store().pack(ss.pack_id) if ss.get("pack_id") else None
    except PanelsearchError as err:  # the data file is damaged or locked: searching still works
        st.warning(f"Saved packs are unavailable: {html.escape(str(err))}")
        saved = None
    ss.pack_passages = frozenset(i.item.passage_id for i in saved.items) if saved else frozenset()
    return saved


def chosen_docs(searcher: Searcher) -> tuple[str, ...]:
    """The documents the filter picked; empty means every document (as does picking them all)."""
    docs = [s for s in searcher.sources if s in (st.session_state.get("w_docs") or [])]
    return tuple(docs) if len(docs) < len(searcher.sources) else ()


def current_state(searcher: Searcher) -> urlstate.PageState:
    ss = st.session_state
    docs = chosen_docs(searcher)
    options = searcher.catalog.speakers_of(list(docs) or None)
    chosen = [s for s in options if s in (ss.get("w_speakers") or [])]
    view = urlstate.view_key(ss.get("view"))
    return urlstate.PageState(view=view, query=" ".join((ss.get("w_query") or "").split()),
                             k=int(ss.get("w_k", DEFAULT_K)),
                             speakers=tuple(chosen) if chosen and len(chosen) < len(options) else (),
                             grouped=bool(ss.get("w_grouped", True)), q=ss.get("browse_q"), docs=docs,
                             pack=ss.get("pack_id") or "")


def sync_url(state: urlstate.PageState) -> None:
    """Put the state in the address bar, so a copied link reproduces this page."""
    wanted = urlstate.to_params(state)
    normalised = {k: v if isinstance(v, list) else [v] for k, v in wanted.items()}
    if address() != normalised:
        st.query_params.from_dict(wanted)  # one history entry: Back returns to the page before
    st.session_state.address_written = normalised


# -- callbacks (run before the rerun they cause) -------------------------------------------------
def _show(view: str, question: int | None = None, source: str | None = None) -> None:
    """Switch view (the tabs' widget holds the view's label); with ``source`` (a library of several
    documents), narrow the document filter to the question's document: the link then reads
    ``?view=browse&doc=<source>&q=11``."""
    st.session_state.view = urlstate.VIEWS[view]
    if view == "browse":
        st.session_state.browse_q = question
    if source is not None:
        st.session_state.w_docs = [source]


def _on_query() -> None:
    query = st.session_state.get("w_query") or ""
    if len(query) > PAGE_QUERY_MAX_CHARS:
        st.session_state.w_query = query[:PAGE_QUERY_MAX_CHARS]
        st.session_state.query_cut = True
    if urlstate.view_key(st.session_state.get("view")) in ("browse", "pack"):
        _show("search")


def _use_example() -> None:
    example = st.session_state.get("w_example")
    if example:
        st.session_state.w_query = example
        st.session_state.w_example = None
        _on_query()


def _add(item: pack.PackItem) -> None:
    """Add to the open pack, saving a new pack (its id then goes into the address) if none is open."""
    packs, ss = get_store(), st.session_state
    try:
        if not ss.get("pack_id") or packs.pack(ss.pack_id) is None:
            ss.pack_id = packs.create_pack()
        packs.add_item(ss.pack_id, item)
        count = len(packs.pack(ss.pack_id).items)
    except PanelsearchError as err:  # the pack is full, or the data folder cannot be written
        st.toast(f"Not added: {err}", icon=":material/error:")
        return
    st.toast(f"Added to your pack ({count}). It is saved: open **Pack** to download it.")


def _pack_edit(action: str, pack_id: str, *args) -> None:
    """One change to a saved pack: remove, move, clear, rename, note or prompt (store.Store's methods).
    ``rename``, ``set_note`` and ``set_prompt`` take the new text from the widget whose key is last."""
    if action in ("rename", "set_note", "set_prompt"):
        *args, key = args
        args = (*args, st.session_state.get(key) or ("" if action != "rename" else pack.DEFAULT_TITLE))
    try:
        getattr(get_store(), action)(pack_id, *args)
    except PanelsearchError as err:  # a note over its limit, a pack removed meanwhile
        st.toast(str(err), icon=":material/error:")


def _new_pack() -> None:
    """Start another pack; the one open now stays saved, reachable by its link."""
    st.session_state.pack_id = ""


def _browse_pick(several_documents: bool) -> None:
    picked = st.session_state.get("w_browse_q")  # (source, number) or None
    if picked is None:
        st.session_state.browse_q = None
    else:
        _show("browse", picked[1], picked[0] if several_documents else None)


def _queue_uploads(uploader: str) -> None:
    """Take the uploaded files for library_change_ui, which adds them where it can show progress."""
    st.session_state.pending_change = ("add", [(f.name, f.getvalue()) for f in (st.session_state.get(uploader) or [])])
    st.session_state.upload_n = st.session_state.get("upload_n", 0) + 1  # a fresh, empty uploader


def _queue_removal(source: str) -> None:
    st.session_state.pending_change = ("remove", source)


# -- shared pieces -------------------------------------------------------------------------------
def markup(text: str) -> None:
    """Draw markup built by html.py (escaped there)."""
    st.markdown(text, unsafe_allow_html=True)


def pack_button_ui(item: pack.PackItem, key: str, label: str = "", about: str = "") -> None:
    """An Add button whose name says what it adds ("Add to pack: AC's passage on Q9"): a page holds
    many, and a screen reader lists them by name."""
    about = about or f"{item.speaker_label}'s passage on Q{item.question_number}"
    if item.passage_id in st.session_state.get("pack_passages", ()):
        st.button(f"In your pack: {about}", key=key, icon=":material/check:", disabled=True)
    else:
        st.button(label or f"Add to pack: {about}", key=key, icon=":material/add:", on_click=_add, args=(item,))


def several(searcher: Searcher) -> bool:
    """A library of several documents: every card and section then names its document."""
    return len(searcher.sources) > 1


def source_of_several(searcher: Searcher, source: str) -> str | None:
    """``source`` when the library has several documents (a view switch then narrows to it), else None."""
    return source if several(searcher) else None


def answer_item(searcher: Searcher, question: QuestionRecord, speaker: str, text: str) -> pack.PackItem:
    """A speaker's whole answer as a pack item; a one-passage answer is that passage (no duplicates)."""
    source = question.source
    passages = searcher.catalog.answer_passages(source, question.number, speaker)
    name = searcher.catalog.speaker_name(source, speaker)
    if len(passages) == 1:
        return pack.PackItem.from_passage(passages[0], searcher.titles.get(source, ""), name)
    return pack.PackItem.whole_answer(question, speaker, text, name)


def whole_question_ui(searcher: Searcher, question: QuestionRecord, marked: list[str], terms, glossary) -> None:
    if wording.short_question(question.question) != " ".join(question.question.split()):
        markup(html.question_html(question.number, question.question, glossary))  # the card cut it
    for answer in question.answers:
        markup(html.answer_block_html(question.source, answer.speaker, html.answer_html(answer.text, marked, terms, glossary),
                                      searcher.catalog.speaker_name(question.source, answer.speaker)))


def _show_anyway(query: str) -> None:
    st.session_state.show_anyway = query


def closest_questions_ui(searcher: Searcher, query: str, matches, glossary, key: str) -> bool:
    """For low confidence: what the panel did answer, instead of weak passages, and a way to see the
    passages anyway. True when the reader asked to see them."""
    if st.session_state.get("show_anyway") == query:
        st.warning(f"**The panel did not answer “{html.escape(query)}” directly.** The passages below come "
                   "closest, but none of them is a good match.", icon=":material/search_off:")
        return True
    st.warning(f"**The panel did not answer “{html.escape(query)}” directly.** None of their answers is a "
               "good match, so no passages are shown. These are the questions they did answer that "
               "come closest:", icon=":material/search_off:")
    closest_list_ui(searcher, matches, glossary, key)
    st.caption("Try other words, or open **Browse** to read every question and answer.")
    st.button("Show passages anyway", key=f"{key}-anyway", icon=":material/visibility:", on_click=_show_anyway,
              args=(query,))
    return False


def closest_list_ui(searcher: Searcher, matches, glossary, key: str) -> None:
    for m in matches:
        with st.container(border=True):
            names = {s: searcher.catalog.speaker_name(m.source, s) for s in m.speakers}
            markup(html.closest_question_html(m, names, glossary, show_title=several(searcher)))
            st.button(f"Read the answers to Q{m.number}", key=f"{key}-closest-{m.source}-{m.number}",
                      icon=":material/menu_book:", on_click=_show,
                      args=("browse", m.number, source_of_several(searcher, m.source)))


def caution_ui(query: str) -> None:
    """For medium confidence: passages are shown, under a caution."""
    st.warning(f"These may not answer “{html.escape(query)}” directly: the panel touched on it, but not "
               "head on. The questions it did answer that come closest are listed after the passages.",
               icon=":material/help:")


# -- views ---------------------------------------------------------------------------------------
def query_ui(searcher: Searcher, state: urlstate.PageState) -> None:
    # No max_chars: the browser does not enforce it, and Streamlit drops a longer paste silently.
    # A long query is cut in _on_query instead, with a notice.
    st.text_input("Ask the panel", key="w_query", on_change=_on_query, placeholder="Type your question…")
    if st.session_state.pop("query_cut", False):
        st.caption(f"Your question was cut to its first {PAGE_QUERY_MAX_CHARS} characters.")
    if state.view not in ("search", "compare"):
        return
    if state.query:
        with st.expander("Example questions"):
            st.pills("Examples", views.EXAMPLE_QUERIES, key="w_example", on_change=_use_example,
                     label_visibility="collapsed")
    else:
        st.pills("Try an example", views.EXAMPLE_QUERIES, key="w_example", on_change=_use_example)


def search_view_ui(searcher: Searcher, state: urlstate.PageState, glossary) -> None:
    if not state.query:
        st.info("Type a question above, or pick an example. Results show who said what, with the audience "
                "question they were answering. Add passages to a **Pack** to take into a meeting.",
                icon=":material/lightbulb:")
        return
    fetch = LIBRARY_MAX_K if state.grouped else state.k  # grouping needs every passage to fill k questions
    try:
        prepared = searcher.prepare_query(state.query)  # read once: ranking and highlighting share it
        result = searcher.query(prepared, k=fetch, speakers=list(state.speakers) or None,
                                sources=list(state.docs) or None)
    except UsageError as err:
        st.warning(str(err))
        return
    if result.notice:
        st.caption(html.escape(result.notice))
    if result.confidence == "low" and not closest_questions_ui(searcher, state.query, result.closest_questions,
                                                                glossary, key="search"):
        return
    if result.confidence == "medium":
        caution_ui(state.query)
    terms = html.query_terms(state.query, prepared.expanded)
    groups = views.group_by_question(result.hits, state.k) if state.grouped else views.one_per_hit(result.hits)
    shown = views.speaker_options(searcher.documents, state.docs)
    who = f" from {wording.and_list(shown.get(s, s) for s in state.speakers)}" if state.speakers else ""
    where = f" in {wording.plural(len(state.docs), 'document')}" if state.docs and len(state.docs) > 1 else \
        f" in “{searcher.titles.get(state.docs[0], state.docs[0])}”" if state.docs else ""
    unit = "question" if state.grouped else "passage"
    st.caption(html.escape(f"{len(groups)} {unit}{'s' if len(groups) != 1 else ''}{who}{where} for "
                              f"“{state.query}”, best match first."))
    for group in groups:
        result_card_ui(searcher, group, terms, glossary)
    if result.confidence == "medium" and result.closest_questions:
        st.caption("The questions the panel did answer that come closest:")
        closest_list_ui(searcher, result.closest_questions, glossary, key="search")


def result_card_ui(searcher: Searcher, group: views.QuestionGroup, terms, glossary) -> None:
    hit = group.best
    with st.container(border=True):
        markup(html.card_html(hit, terms, glossary, extra=group.others_summary(),
                              show_title=several(searcher)))
        pack_button_ui(pack.PackItem.from_hit(hit), key=f"add-search-{hit.passage_id}")
        with st.expander(f"Whole answer to Q{hit.question_number}", icon=":material/article:"):
            question = searcher.catalog.question(hit.source, hit.question_number)
            if question:
                whole_question_ui(searcher, question, [hit.text], terms, glossary)


def compare_view_ui(searcher: Searcher, state: urlstate.PageState, glossary) -> None:
    docs = list(state.docs) or None
    if not state.query:
        options = views.speaker_options(searcher.documents, state.docs)
        names = [options.get(s, s) for s in searcher.catalog.speakers_of(docs)]
        who = f"how {wording.and_list(names)} each answered it" if len(searcher.sources) == 1 or state.docs and \
            len(state.docs) == 1 else "how each panelist answered it"
        st.info(f"Type a question above to see {html.escape(who)}, side by side.", icon=":material/compare_arrows:")
        return
    try:
        prepared = searcher.prepare_query(state.query)
        result = searcher.compare(prepared, k=LIBRARY_MAX_K, sources=docs)  # every answered question has one
    except UsageError as err:
        st.warning(str(err))
        return
    if result.confidence == "low" and not closest_questions_ui(
            searcher, state.query, searcher.closest_questions(prepared, sources=docs), glossary, key="compare"):
        return
    if result.confidence == "medium":
        caution_ui(state.query)
    view = views.align_compare(result, searcher.catalog, k=state.k)
    terms = html.query_terms(state.query, prepared.expanded)
    summary = views.compare_summary(view, searcher.titles if several(searcher) else None)
    st.caption(f"For “{html.escape(state.query)}”. {html.escape(summary)}")
    for row in view.rows:
        question = searcher.catalog.question(row.source, row.number) or QuestionRecord(
            row.source, searcher.titles.get(row.source, ""), row.number, row.question, ())
        with st.container(border=True):
            markup(html.question_html(row.number, question.question, glossary)
                   + (html.doc_html(searcher.titles.get(row.source, row.source)) if several(searcher) else ""))
            for col, entry in zip(st.columns(len(row.entries)), row.entries):
                with col:
                    compare_entry_ui(searcher, question, entry, terms, glossary)
            if row.both_answered:
                agreement_ui(searcher, question, glossary)


def compare_entry_ui(searcher: Searcher, question: QuestionRecord, entry: views.CompareEntry, terms, glossary) -> None:
    """One speaker's cell: their whole answer, once, with the passages that matched marked inside it."""
    if not entry.hits:
        markup(html.empty_cell_html(entry.source, entry.speaker, entry.name, entry.note))
        return
    answer = question.answer_of(entry.speaker)
    text = answer.text if answer else " ".join(h.text for h in entry.hits)
    markup(html.compare_cell_html(entry.hits, text, terms, glossary))
    with st.container(horizontal=True):
        for hit in entry.hits:
            which = "marked passage" if len(entry.hits) == 1 else f"passage {hit.position}"
            pack_button_ui(pack.PackItem.from_hit(hit), key=f"add-compare-{hit.passage_id}",
                           about=f"{entry.name}'s {which} on Q{entry.number}")
        if answer and not (len(entry.hits) == 1 and entry.hits[0].text == text):
            item = answer_item(searcher, question, entry.speaker, text)
            pack_button_ui(item, key=f"add-compare-all-{item.passage_id}",
                           about=f"{entry.name}'s whole answer to Q{entry.number}")


def browse_view_ui(searcher: Searcher, state: urlstate.PageState, glossary) -> None:
    in_scope = [q for q in searcher.questions if not state.docs or q.source in state.docs]
    multi = several(searcher)
    labels = {q.key: (f"{searcher.titles.get(q.source, q.source)} · " if multi else "")
              + wording.question_label(q.number, q.question, 90) for q in in_scope}
    open_now = [key for key in labels if key[1] == state.q]
    st.session_state.w_browse_q = open_now[0] if len(open_now) == 1 else None
    st.selectbox("Go to a question", [None, *labels], key="w_browse_q", on_change=_browse_pick, args=(multi,),
                 format_func=lambda key: "All questions" if key is None else labels[key])
    questions = views.browse_questions(searcher.questions, state.speakers, state.q, state.docs)
    shown = views.speaker_options(searcher.documents, state.docs)
    names = [shown.get(s, s) for s in state.speakers]
    if state.speakers:
        st.caption(f"Showing only {html.escape(wording.and_list(names))}'s answers ({len(questions)} questions). "
                   "Change this under **Speakers** in the sidebar.")
    if not questions:
        st.info(f"{html.escape(wording.and_list(names))} did not answer Q{state.q}." if state.q is not None
                else "No questions match these filters.")
    for source, group in views.by_document(questions):
        if multi:
            document_heading_ui(searcher, source)
        for question in group:
            with st.container(border=True):
                markup(html.question_html(question.number, question.question, glossary))
                for answer in question.answers:
                    browse_answer_ui(searcher, question, answer, glossary)
                agreement_ui(searcher, searcher.catalog.question(*question.key) or question, glossary)
    if state.q is not None:
        st.button("Show all questions", icon=":material/list:", on_click=_show, args=("browse", None))


def document_heading_ui(searcher: Searcher, source: str) -> None:
    """A document's title, date, event and speakers (names and roles where given) above its questions."""
    doc = searcher.catalog.document(source)
    markup(html.document_heading_html(doc.title or source, views.document_details(doc)) if doc
           else html.document_heading_html(source, ()))


def browse_answer_ui(searcher: Searcher, question: QuestionRecord, answer, glossary) -> None:
    speaker, number, source = answer.speaker, question.number, question.source
    name = searcher.catalog.speaker_name(source, speaker)
    markup(html.answer_block_html(source, speaker, html.answer_html(answer.text, (), (), glossary), name))
    passages = searcher.catalog.answer_passages(source, number, speaker)
    title = searcher.titles.get(source, "")
    if len(passages) <= 1:
        item = answer_item(searcher, question, speaker, answer.text)
        pack_button_ui(item, key=f"add-browse-{item.passage_id}", about=f"{name}'s answer to Q{number}")
        return
    in_pack = sum(p.passage_id in st.session_state.get("pack_passages", ()) for p in passages)
    label = (f"Add to pack: {name}'s answer to Q{number} ({in_pack} of {len(passages)} passages in it)" if in_pack
             else f"Add to pack: {name}'s answer to Q{number}…")
    with st.popover(label, icon=":material/add:"):
        whole = pack.PackItem.whole_answer(question, speaker, answer.text, name)
        pack_button_ui(whole, key=f"add-browse-{whole.passage_id}", about=f"{html.escape(name)}'s whole answer")
        st.caption("Or one passage of it:")
        for p in passages:
            markup(html.small_html(wording.short_question(p.text, 160)))
            pack_button_ui(pack.PackItem.from_passage(p, title, name), key=f"add-browse-{p.passage_id}",
                           about=f"passage {p.position}")


def pack_view_ui(searcher: Searcher, saved: SavedPack | None, glossary) -> None:
    if saved is None or not saved.items:
        st.info("Your pack is empty. Use **Add to pack** on any passage in Search, Compare or Browse. "
                "The pack is saved as you go: this page's address opens it again, tomorrow or on a "
                "colleague's screen. Then download it as a Word handout or Markdown.",
                icon=":material/inventory_2:")
        return
    saved = mark_missing(saved, searcher.catalog)
    st.session_state.w_pack_title = saved.title
    st.text_input("Title of the handout", key="w_pack_title", max_chars=120, on_change=_pack_edit,
                  args=("rename", saved.id, "w_pack_title"))
    today = date.today()
    with st.container(horizontal=True):
        st.download_button("Download Word (.docx)", data=render(saved, "docx", searcher.catalog, today),
                           file_name=pack.file_name(saved.title, today, "docx"), mime=pack.DOCX_MIME,
                           icon=":material/description:", type="primary", on_click="ignore", key="dl-docx")
        st.download_button("Download Markdown (.md)", data=render(saved, "md", searcher.catalog, today),
                           file_name=pack.file_name(saved.title, today, "md"), mime="text/markdown",
                           icon=":material/download:", on_click="ignore", key="dl-md")
    st.caption(f"{wording.plural(len(saved.items), 'passage')}, saved. Each comes with its question, speaker and "
               "source, a note and a discussion prompt you can edit, and ruled space for notes.")
    for entry in saved.items:
        pack_item_ui(saved, entry, glossary)
    with st.container(horizontal=True):
        st.button("Empty the pack", icon=":material/delete_sweep:", on_click=_pack_edit, args=("clear", saved.id),
                  key="clear-pack")
        st.button("Start a new pack", icon=":material/add_box:", on_click=_new_pack, key="new-pack")


def pack_item_ui(saved: SavedPack, entry: SavedItem, glossary) -> None:
    item, n, count = entry.item, entry.position, len(saved.items)
    with st.container(border=True):
        markup(html.pack_item_html(n, item, glossary, missing=entry.missing))
        who = f"{item.speaker_label}'s passage on Q{item.question_number}"
        note_key, prompt_key = f"note-{item.passage_id}", f"prompt-{item.passage_id}"
        st.text_area(f"Note on {who}", value=item.note, key=note_key, height=68, max_chars=2000,
                     on_change=_pack_edit, args=("set_note", saved.id, item.passage_id, note_key))
        st.text_input(f"Discussion prompt for {who}", value=item.prompt, key=prompt_key, max_chars=2000,
                      placeholder=item.discussion_prompt, on_change=_pack_edit,
                      args=("set_prompt", saved.id, item.passage_id, prompt_key))
        with st.container(horizontal=True):
            if count > 1:
                st.button("Up", key=f"up-{item.passage_id}", icon=":material/arrow_upward:", disabled=n == 1,
                          on_click=_pack_edit, args=("move_item", saved.id, item.passage_id, -1))
                st.button("Down", key=f"down-{item.passage_id}", icon=":material/arrow_downward:",
                          disabled=n == count, on_click=_pack_edit, args=("move_item", saved.id, item.passage_id, 1))
            st.button("Remove", key=f"remove-{item.passage_id}", icon=":material/delete:",
                      on_click=_pack_edit, args=("remove_item", saved.id, item.passage_id))


def sidebar_ui(searcher: Searcher, state: urlstate.PageState, speakers: dict[str, str]) -> None:
    with st.sidebar:
        st.subheader("Filters")
        if several(searcher):
            st.multiselect("Documents", searcher.sources, key="w_docs", placeholder="All documents",
                           format_func=lambda s: searcher.titles.get(s, s),
                           help="Search, Compare and Browse only these documents. None chosen means all of them.")
        st.slider("Number of results", 1, PAGE_MAX_K, key="w_k",
                  help="Cards in Search; matched questions in Compare.")
        speaker_filter_ui(speakers)
        st.toggle("One card per question", key="w_grouped",
                  help="Show only the best passage of each question, so one long answer cannot fill the page.")
        st.divider()
        count = len(st.session_state.get("pack_passages", ()))
        st.markdown(f"**Discussion pack:** {wording.plural(count, 'passage')}" + (", saved" if count else ""))
        st.button("Open the pack", icon=":material/inventory_2:", on_click=_show, args=("pack",),
                  disabled=state.view == "pack", key="open-pack")
        with st.expander("Share this page", icon=":material/link:"):
            st.caption("The address bar always holds this search; or copy this link:")
            st.code(urlstate.share_link(getattr(st.context, "url", "") or "", state), language=None,
                    wrap_lines=True)
        library_ui(searcher)


def speaker_choices(searcher: Searcher) -> dict[str, str]:
    """initials -> label of the speakers of the chosen documents, and the selection brought in line.

    Call before reading the state. When the options change (another document filter, a new
    document) a selection of everyone stays everyone; otherwise it keeps the speakers still offered.
    """
    ss = st.session_state
    docs = chosen_docs(searcher)
    options = views.speaker_options(searcher.documents, docs)
    if set(options) != set(searcher.catalog.speakers_of(list(docs) or None)):  # an index without document records
        options = {s: s for s in searcher.catalog.speakers_of(list(docs) or None)}
    chosen = [s for s in (ss.get("w_speakers") or []) if s in options]
    previous = ss.get("speaker_options")
    if previous is not None and previous != list(options) and set(ss.get("w_speakers") or []) >= set(previous):
        chosen = list(options)
    if chosen != (ss.get("w_speakers") or []):
        ss.w_speakers = chosen
    ss.speaker_options = list(options)
    return options


def speaker_filter_ui(options: dict[str, str]) -> None:
    st.pills("Speakers", list(options), selection_mode="multi", key="w_speakers", format_func=lambda s: html.escape(options.get(s, s)),
             help="Search and Browse show only these speakers. None chosen means everyone. Initials are only "
                  "unique within a document: a filter on AC shows every document's AC.")


def upload_ui(searcher: Searcher) -> None:
    """Add documents to the library: the files are checked, refused ones say why, the index is rebuilt."""
    ss = st.session_state
    report, problem = ss.get("add_result") or (None, "")
    with st.expander("Add a document", icon=":material/upload_file:", expanded=bool(report or problem)):
        key = f"upload-{ss.get('upload_n', 0)}"
        files = st.file_uploader(
            "Q&A documents (.txt, .md, .pdf, .docx), with an optional <name>.meta.json each",
            type=UPLOAD_TYPES, accept_multiple_files=True, key=key,
            help="A .meta.json beside a document gives its title, date, event and the speakers' names and roles. "
                 "See the README's “Adding documents” for the formats.")
        st.button("Add to the library", icon=":material/library_add:", type="primary", disabled=not files,
                  on_click=_queue_uploads, args=(key,), key="add-files")
        if problem:
            st.error(html.escape(problem), icon=":material/error:")
        if report is not None:
            add_report_ui(report)


STAGE_TEXT = {"read": "Documents read", "embed": "Passages and questions embedded"}


def library_change_ui(searcher: Searcher) -> None:
    """Carry out a queued upload or removal, showing its progress, then reload the page's index."""
    change = st.session_state.pop("pending_change", None)
    if not change or not change[1]:
        return
    kind, what = change
    label = f"Adding {wording.plural(len(what), 'file')} to the library…" if kind == "add" else "Removing a document…"
    with st.status(label, expanded=True) as status:
        bar = st.progress(0.0, text="Checking…")

        def progress(stage: str, done: int, total: int) -> None:
            bar.progress(done / total if total else 1.0, text=f"{STAGE_TEXT.get(stage, stage)}: {done} of {total}")

        try:
            if kind == "add":
                report = library.add_uploads(what, corpus_dir(), index_dir(), searcher.embedder, progress=progress)
                st.session_state.add_result = (report, "")
            else:
                removed = library.remove_document(what, corpus_dir(), index_dir(), searcher.embedder, progress=progress)
                st.session_state.add_result = (None, "")
                st.session_state.remove_result = f"Removed “{removed.title}” ({removed.file}) from the library."
        except (PanelsearchError, OSError) as err:  # a document already in the library no longer parses; disk full
            problem = f"Nothing was {'added' if kind == 'add' else 'removed'}: {err}"
            st.session_state.add_result = (None, problem) if kind == "add" else (None, "")
            st.session_state.remove_result = "" if kind == "add" else problem
            status.update(label="The library is unchanged.", state="error")
            return
        status.update(label="Done: the index is rebuilt.", state="complete")
    st.rerun()  # the next run loads the rebuilt index


def library_ui(searcher: Searcher) -> None:
    """The sidebar's library section: read-only, an editors' sign-in, or the upload and remove controls."""
    access = library_access(ALLOW_EDIT, EDITORS_TOKEN, st.session_state.get("w_editor_token"))
    st.caption(access.note)
    if access.can_sign_in:
        st.text_input("Editors' token", type="password", key="w_editor_token",
                      help="Given by whoever runs this page; it lets this browser session change the library.")
    if not access.can_edit:
        return
    library_change_ui(searcher)
    upload_ui(searcher)
    remove_ui(searcher)


def remove_ui(searcher: Searcher) -> None:
    message = st.session_state.get("remove_result") or ""
    with st.expander("Remove a document", icon=":material/delete:", expanded=bool(message)):
        source = st.selectbox("Document to remove", searcher.sources, key="w_remove_doc",
                              format_func=lambda s: searcher.titles.get(s, s))
        sure = st.checkbox("Yes, take it out of the library and the index", key="w_remove_sure")
        st.button("Remove from the library", icon=":material/delete:", disabled=not sure or len(searcher.sources) < 2,
                  on_click=_queue_removal, args=(source,), key="remove-doc",
                  help="A library needs at least one document." if len(searcher.sources) < 2 else None)
        if message:
            (st.error if message.startswith("Nothing") else st.success)(html.escape(message))


def add_report_ui(report: library.AddReport) -> None:
    names_of = views.added_speaker_names(report)
    for added in report.added:
        names = names_of.get(added.source) or added.speakers
        st.success(html.escape(f"Added “{added.title}” ({added.file}): "
                                  f"{wording.plural(added.questions, 'question')}, answered by {wording.and_list(names)}."),
                   icon=":material/check_circle:")
    if report.added:
        st.caption(f"Index rebuilt: {wording.plural(report.vectors_embedded, 'passage')} embedded, "
                   f"{report.vectors_reused} reused.")
    for refused in report.refused:
        st.error(html.escape(f"Not added: {refused.message}"), icon=":material/block:")
    if report.refused and not report.added:
        st.caption("The library is unchanged.")


def glossary_ui(glossary: dict, spellings: dict) -> None:
    with st.expander("Glossary: the acronyms the panel uses", icon=":material/dictionary:"):
        markup(html.glossary_html(glossaries.glossary_rows(glossary, spellings)))
        st.caption("In the text, acronyms are underlined with dots: hover over one to see what it stands for.")


VIEWS = {"search": search_view_ui, "compare": compare_view_ui, "browse": browse_view_ui}


def main() -> None:
    st.html(CSS)
    paths = (str(index_dir()), str(corpus_dir()))
    try:
        stamp = index_stamp(*map(Path, paths))
        searcher = get_searcher(*paths, stamp)
        glossary, spellings = get_glossary(*paths, stamp)
    except PanelsearchError as err:
        st.title("panelsearch")
        st.error(f"The search index is not ready: {err}", icon=":material/error:")
        st.info(REBUILD)
        return
    init_state(searcher)
    saved = open_pack()

    markup(html.pack_count_html(len(st.session_state.get("pack_passages", ()))))
    st.title("What did the panel say?")
    st.caption(html.escape(views.library_caption(searcher.documents, len(searcher.questions))))
    panel = views.panelists_line(searcher.documents)
    if panel:
        st.caption(html.escape(panel))
    if st.session_state.link_problems:
        st.warning("Parts of the link were ignored: " + html.escape("; ".join(st.session_state.link_problems))
                   + ".")
        st.session_state.link_problems = []
    speakers = speaker_choices(searcher)
    state = current_state(searcher)
    query_ui(searcher, state)
    sidebar_ui(searcher, state, speakers)

    tabs = st.tabs(list(urlstate.VIEWS.values()), key="view", on_change="rerun")
    for tab, view in zip(tabs, urlstate.VIEWS):
        if tab.open:
            with tab:
                if view == "pack":
                    pack_view_ui(searcher, saved, glossary)
                else:
                    VIEWS[view](searcher, state, glossary)
    glossary_ui(glossary, spellings)
    sync_url(current_state(searcher))


main()
