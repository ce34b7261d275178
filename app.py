"""panelsearch web page (Streamlit). This file only draws; panelsearch.present and .pack compute.

Every piece of corpus or query text that reaches ``unsafe_allow_html`` was escaped by present.py.
"""
from __future__ import annotations

import zipfile
from datetime import date
from pathlib import Path

import streamlit as st

from panelsearch import pack, present
from panelsearch.config import MAX_K as LIBRARY_MAX_K
from panelsearch.config import corpus_dir, index_dir
from panelsearch.errors import PanelsearchError, UsageError
from panelsearch.glossary import build_glossary
from panelsearch.search import Searcher

st.set_page_config(page_title="panelsearch · co-production Q&A", page_icon="🔎", layout="wide")

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
.ps-by {font-size: .85rem}
.ps-question {font-weight: 600; line-height: 1.45; margin: .1rem 0 .4rem}
.ps-qnum {display: inline-block; font-weight: 700; color: #1d4ed8; margin-right: .2rem}
.ps-answer {line-height: 1.6; margin: .35rem 0 .5rem}
.ps-note {font-style: italic; opacity: .75; padding: .35rem 0}
.ps-pack-quote {border-left: 3px solid #1d4ed8; padding: .1rem 0 .1rem .8rem; margin: .4rem 0; line-height: 1.55}
.ps-passage mark, .ps-answer mark, .ps-pack-quote mark {background: #fde68a; color: #111827;
           padding: 0 .12em; border-radius: .15em}
.ps-matched {background: rgba(29, 78, 216, .13); border-bottom: 2px solid rgba(29, 78, 216, .55);
           padding: .05em 0}
h1 {font-size: 2.3rem !important}
@media (max-width: 640px) {h1 {font-size: 1.7rem !important} .ps-passage {font-size: 1rem}}
abbr[title] {text-decoration: underline dotted; cursor: help}
.ps-glossary {display: grid; grid-template-columns: max-content 1fr; gap: .2rem .9rem; margin: 0}
.ps-glossary dt {font-weight: 700}
.ps-glossary dd {margin: 0}
</style>"""


# -- loading -------------------------------------------------------------------------------------
@st.cache_resource(show_spinner="Loading the model and the index…", max_entries=2)
def get_searcher(index_path: str, corpus_path: str, stamp: tuple) -> Searcher:
    """The loaded index; ``stamp`` changes when the index or corpus files do, forcing a reload."""
    searcher = Searcher.load(Path(index_path), corpus_dir=Path(corpus_path))
    searcher.query("warm up the model", k=1)  # the first real search then answers at full speed
    return searcher


@st.cache_resource(max_entries=2)
def get_glossary(index_path: str, corpus_path: str, stamp: tuple) -> tuple[dict, dict]:
    """(acronym -> expansion, acronym -> how the corpus writes it) for acronyms the corpus uses."""
    searcher = get_searcher(index_path, corpus_path, stamp)
    texts = [q["question"] for q in searcher.questions] + \
            [a["text"] for q in searcher.questions for a in q["answers"]]
    glossary = build_glossary(texts)
    return glossary, present.acronym_spellings(texts, glossary)


# -- state: session keys mirror the link ---------------------------------------------------------
def init_state(searcher: Searcher) -> None:
    """On a session's first run, take the view, query and filters from the link."""
    ss = st.session_state
    if ss.get("initialised"):
        return
    params = {name: st.query_params.get_all(name) for name in st.query_params}
    state, problems = present.parse_params(params, searcher.speakers, [q["number"] for q in searcher.questions])
    ss.w_query = state.query
    ss.w_k = state.k
    ss.w_speakers = list(state.speakers) or list(searcher.speakers)
    ss.w_grouped = state.grouped
    ss.view = present.VIEW_LABELS[state.view]
    ss.browse_q = state.q
    ss.pack = []
    ss.pack_title = pack.DEFAULT_TITLE
    ss.link_problems = problems
    ss.initialised = True


def current_state(searcher: Searcher) -> present.PageState:
    ss = st.session_state
    chosen = [s for s in searcher.speakers if s in (ss.get("w_speakers") or [])]
    view = next((v for v, label in present.VIEW_LABELS.items() if label == ss.get("view")), "search")
    return present.PageState(view=view, query=" ".join((ss.get("w_query") or "").split()),
                             k=int(ss.get("w_k", present.DEFAULT_K)),
                             speakers=tuple(chosen) if chosen and len(chosen) < len(searcher.speakers) else (),
                             grouped=bool(ss.get("w_grouped", True)), q=ss.get("browse_q"))


def sync_url(state: present.PageState) -> None:
    """Put the state in the address bar, so a copied link reproduces this page."""
    wanted = present.to_params(state)
    current = {name: st.query_params.get_all(name) for name in st.query_params}
    normalised = {k: v if isinstance(v, list) else [v] for k, v in wanted.items()}
    if current != normalised:
        st.query_params.from_dict(wanted)


# -- callbacks (run before the rerun they cause) -------------------------------------------------
def _show(view: str, question: int | None = None) -> None:
    st.session_state.view = present.VIEW_LABELS[view]
    if view == "browse":
        st.session_state.browse_q = question


def _on_query() -> None:
    if st.session_state.view in (present.VIEW_LABELS["browse"], present.VIEW_LABELS["pack"]):
        _show("search")


def _use_example() -> None:
    example = st.session_state.get("w_example")
    if example:
        st.session_state.w_query = example
        st.session_state.w_example = None
        _on_query()


def _add(item: pack.PackItem) -> None:
    st.session_state.pack = pack.add(st.session_state.pack, item)
    st.toast(f"Added to your pack ({len(st.session_state.pack)}). Open **Pack** to download it.")


def _remove(passage_id: str) -> None:
    st.session_state.pack = pack.remove(st.session_state.pack, passage_id)


def _move(passage_id: str, offset: int) -> None:
    st.session_state.pack = pack.move(st.session_state.pack, passage_id, offset)


def _clear_pack() -> None:
    st.session_state.pack = []


def _browse_pick() -> None:
    st.session_state.browse_q = st.session_state.get("w_browse_q")


def _pack_title() -> None:
    st.session_state.pack_title = st.session_state.get("w_pack_title") or pack.DEFAULT_TITLE


# -- shared pieces -------------------------------------------------------------------------------
def html(markup: str) -> None:
    """Draw markup built by present.py (escaped there)."""
    st.markdown(markup, unsafe_allow_html=True)


def pack_button_ui(item: pack.PackItem, key: str, label: str = "Add to pack") -> None:
    if pack.contains(st.session_state.pack, item.passage_id):
        st.button("In your pack", key=key, icon=":material/check:", disabled=True)
    else:
        st.button(label, key=key, icon=":material/add:", on_click=_add, args=(item,))


def answer_item(searcher: Searcher, question: dict, speaker: str, text: str) -> pack.PackItem:
    """A speaker's whole answer as a pack item; a one-passage answer is that passage (no duplicates)."""
    passages = present.answer_passages(searcher.passages, question["source"], question["number"], speaker)
    if len(passages) == 1:
        return pack.PackItem.from_passage(passages[0], searcher.titles.get(question["source"], ""))
    return pack.PackItem.whole_answer(question, speaker, text)


def whole_question_ui(searcher: Searcher, question: dict, marked: list[str], terms, glossary, colours) -> None:
    if present.short_question(question["question"]) != " ".join(question["question"].split()):
        html(present.question_html(question["number"], question["question"], glossary))  # the card cut it
    for answer in question["answers"]:
        html(present.answer_block_html(answer["speaker"],
                                       present.answer_html(answer["text"], marked, terms, glossary), colours))


def closest_questions_ui(query: str, matches, colours, glossary, key: str) -> None:
    """For low confidence: what the panel did answer, instead of weak passages."""
    st.warning(f"**The panel did not answer “{present.escape(query)}” directly.** None of their answers is a "
               "good match, so no passages are shown. These are the questions they did answer that "
               "come closest:", icon=":material/search_off:")
    for m in matches:
        with st.container(border=True):
            badges = " ".join(present.speaker_badge(s, colours) for s in m.speakers)
            html(present.question_html(m.number, present.short_question(m.question, 220), glossary)
                 + f'<div class="ps-by">Answered by {badges}</div>')
            st.button(f"Read the answers to Q{m.number}", key=f"{key}-closest-{m.source}-{m.number}",
                      icon=":material/menu_book:", on_click=_show, args=("browse", m.number))
    st.caption("Try other words, or open **Browse** to read every question and answer.")


# -- views ---------------------------------------------------------------------------------------
def query_ui(searcher: Searcher, state: present.PageState) -> None:
    st.text_input("Ask the panel", key="w_query", max_chars=present.MAX_QUERY_CHARS, on_change=_on_query,
                  placeholder="Type your question…")
    if state.view not in ("search", "compare"):
        return
    if state.query:
        with st.expander("Example questions"):
            st.pills("Examples", present.EXAMPLE_QUERIES, key="w_example", on_change=_use_example,
                     label_visibility="collapsed")
    else:
        st.pills("Try an example", present.EXAMPLE_QUERIES, key="w_example", on_change=_use_example)


def search_view_ui(searcher: Searcher, state: present.PageState, glossary, colours) -> None:
    if not state.query:
        st.info("Type a question above, or pick an example. Results show who said what, with the audience "
                "question they were answering. Add passages to a **Pack** to take into a meeting.",
                icon=":material/lightbulb:")
        return
    fetch = LIBRARY_MAX_K if state.grouped else state.k  # grouping needs every passage to fill k questions
    try:
        result = searcher.query(state.query, k=fetch, speakers=list(state.speakers) or None)
    except UsageError as err:
        st.warning(str(err))
        return
    if result.notice:
        st.caption(present.escape(result.notice))
    if result.low_confidence:
        closest_questions_ui(state.query, result.closest_questions, colours, glossary, key="search")
        return
    terms = present.query_terms(state.query, searcher.prepare(state.query))
    groups = (present.group_by_question(result.hits, state.k) if state.grouped
              else [present.QuestionGroup(h.source, h.question_number, h.question, (h,)) for h in result.hits])
    who = f" from {', '.join(state.speakers)}" if state.speakers else ""
    unit = "question" if state.grouped else "passage"
    st.caption(f"{len(groups)} {unit}{'s' if len(groups) != 1 else ''}{who} for “{present.escape(state.query)}”, "
               "best match first.")
    best = result.hits[0].score if result.hits else 0.0
    for group in groups:
        result_card_ui(searcher, group, terms, glossary, colours, best)


def result_card_ui(searcher: Searcher, group: present.QuestionGroup, terms, glossary, colours, best: float) -> None:
    hit = group.best
    with st.container(border=True):
        html(present.card_html(hit, colours, terms, glossary, extra=group.others_summary(),
                               relevance=present.shown_relevance(hit, best)))
        pack_button_ui(pack.PackItem.from_hit(hit), key=f"add-search-{hit.passage_id}")
        with st.expander(f"Whole answer to Q{hit.question_number}", icon=":material/article:"):
            question = searcher.question(hit.source, hit.question_number)
            if question:
                whole_question_ui(searcher, question, [hit.text], terms, glossary, colours)


def compare_view_ui(searcher: Searcher, state: present.PageState, glossary, colours) -> None:
    if not state.query:
        st.info(f"Type a question above to see how {' and '.join(searcher.speakers)} each answered it, "
                "side by side.", icon=":material/compare_arrows:")
        return
    try:
        result = searcher.compare(state.query, k=LIBRARY_MAX_K)  # all passages: every answered question has one
    except UsageError as err:
        st.warning(str(err))
        return
    if result.low_confidence:
        closest_questions_ui(state.query, searcher.closest_questions(state.query), colours, glossary, key="compare")
        return
    view = present.align_compare(result, searcher.questions, k=state.k)
    terms = present.query_terms(state.query, searcher.prepare(state.query))
    st.caption(f"For “{present.escape(state.query)}”. {present.escape(present.compare_summary(view))}")
    speakers = list(view.columns)
    best = max((h.score for hits in result.speakers.values() for h in hits), default=0.0)
    for source, number in view.questions:
        question = searcher.question(source, number) or {"number": number, "question": "", "answers": []}
        with st.container(border=True):
            html(present.question_html(number, question["question"], glossary))
            for col, speaker in zip(st.columns(len(speakers)), speakers):
                entry = next(e for e in view.columns[speaker] if (e.source, e.number) == (source, number))
                with col:
                    compare_entry_ui(entry, terms, glossary, colours, best)
            if (source, number) in view.both_answered:
                label = f"{' and '.join(speakers)}: full answers to Q{number}"
                with st.expander(label, expanded=(source, number) == view.both_answered[0],
                                 icon=":material/view_column:"):
                    marked = [h.text for e in (view.columns[s] for s in speakers) for x in e
                              if (x.source, x.number) == (source, number) for h in x.hits]
                    answers = {a["speaker"]: a["text"] for a in question["answers"]}
                    for col, speaker in zip(st.columns(len(speakers)), speakers):
                        with col:
                            html(present.answer_block_html(
                                speaker, present.answer_html(answers.get(speaker, ""), marked, terms, glossary),
                                colours))
                            item = answer_item(searcher, question, speaker, answers.get(speaker, ""))
                            pack_button_ui(item, key=f"add-compare-all-{item.passage_id}", label="Add whole answer")


def compare_entry_ui(entry: present.CompareEntry, terms, glossary, colours, best: float) -> None:
    if not entry.hits:
        html(f'<div class="ps-meta">{present.speaker_badge(entry.speaker, colours)}</div>'
             + present.note_html(entry.note))
        return
    for hit in entry.hits:
        html('<div class="ps-card">'
             f'<div class="ps-meta">{present.speaker_badge(hit.speaker, colours)}'
             f'{present.relevance_html(present.shown_relevance(hit, best))}</div>'
             f'<div class="ps-passage">{present.highlight(hit.text, terms, glossary)}</div></div>')
        pack_button_ui(pack.PackItem.from_hit(hit), key=f"add-compare-{hit.passage_id}")


def browse_view_ui(searcher: Searcher, state: present.PageState, glossary, colours) -> None:
    numbers = [q["number"] for q in searcher.questions]
    labels = {q["number"]: present.question_label(q["number"], q["question"], 90) for q in searcher.questions}
    st.session_state.w_browse_q = state.q if state.q in labels else None
    st.selectbox("Go to a question", [None, *dict.fromkeys(numbers)], key="w_browse_q", on_change=_browse_pick,
                 format_func=lambda n: "All questions" if n is None else labels[n])
    questions = present.browse_questions(searcher.questions, state.speakers, state.q)
    if state.speakers:
        st.caption(f"Showing only {' and '.join(state.speakers)}'s answers ({len(questions)} questions). "
                   "Change this under **Speakers** in the sidebar.")
    if not questions:
        st.info(f"{' and '.join(state.speakers)} did not answer Q{state.q}." if state.q is not None
                else "No questions match these filters.")
    for question in questions:
        with st.container(border=True):
            html(present.question_html(question["number"], question["question"], glossary))
            for answer in question["answers"]:
                browse_answer_ui(searcher, question, answer, glossary, colours)
    if state.q is not None:
        st.button("Show all questions", icon=":material/list:", on_click=_show, args=("browse", None))


def browse_answer_ui(searcher: Searcher, question: dict, answer: dict, glossary, colours) -> None:
    speaker, number, source = answer["speaker"], question["number"], question["source"]
    html(present.answer_block_html(speaker, present.answer_html(answer["text"], (), (), glossary), colours))
    passages = present.answer_passages(searcher.passages, source, number, speaker)
    title = searcher.titles.get(source, "")
    if len(passages) <= 1:
        item = answer_item(searcher, question, speaker, answer["text"])
        pack_button_ui(item, key=f"add-browse-{item.passage_id}")
        return
    in_pack = sum(pack.contains(st.session_state.pack, p.passage_id) for p in passages)
    label = f"Add to pack ({in_pack} of {len(passages)} passages in it)" if in_pack else "Add to pack…"
    with st.popover(label, icon=":material/add:"):
        whole = pack.PackItem.whole_answer(question, speaker, answer["text"])
        pack_button_ui(whole, key=f"add-browse-{whole.passage_id}", label=f"{speaker}'s whole answer")
        st.caption("Or one passage of it:")
        for p in passages:
            html(f'<div class="ps-extra">{present.escape(present.short_question(p.text, 160))}</div>')
            pack_button_ui(pack.PackItem.from_passage(p, title), key=f"add-browse-{p.passage_id}",
                           label=f"Add passage {p.position}")


def pack_view_ui(colours, glossary) -> None:
    items: list[pack.PackItem] = st.session_state.pack
    if not items:
        st.info("Your pack is empty. Use **Add to pack** on any passage in Search, Compare or Browse; "
                "the pack stays here while you search. Then download it as a Word handout or Markdown.",
                icon=":material/inventory_2:")
        return
    st.session_state.w_pack_title = st.session_state.pack_title
    st.text_input("Title of the handout", key="w_pack_title", on_change=_pack_title, max_chars=120)
    title, today = st.session_state.pack_title, date.today()
    with st.container(horizontal=True):
        st.download_button("Download Word (.docx)", data=pack.to_docx(items, title, today),
                           file_name=pack.file_name(title, today, "docx"), mime=pack.DOCX_MIME,
                           icon=":material/description:", type="primary", on_click="ignore", key="dl-docx")
        st.download_button("Download Markdown (.md)", data=pack.to_markdown(items, title, today),
                           file_name=pack.file_name(title, today, "md"), mime="text/markdown",
                           icon=":material/download:", on_click="ignore", key="dl-md")
    st.caption(f"{len(items)} passage{'s' if len(items) != 1 else ''}. Each comes with its question, "
               "speaker and source, and ruled space for notes.")
    for n, item in enumerate(items, start=1):
        with st.container(border=True):
            html('<div class="ps-card">'
                 f'<div class="ps-meta"><strong>{n}.</strong>{present.speaker_badge(item.speaker, colours)}</div>'
                 f'<div class="ps-source">{present.highlight(present.question_label(item.question_number, item.question), (), glossary)}</div>'
                 f'<div class="ps-pack-quote">{present.highlight(item.text, (), glossary)}</div>'
                 f'<div class="ps-extra">Source: {present.escape(item.source_label)}</div></div>')
            with st.container(horizontal=True):
                if len(items) > 1:
                    pack_reorder_ui(item, n, len(items))
                st.button("Remove", key=f"remove-{item.passage_id}", icon=":material/delete:",
                          on_click=_remove, args=(item.passage_id,))
    st.button("Empty the pack", icon=":material/delete_sweep:", on_click=_clear_pack, key="clear-pack")


def pack_reorder_ui(item: pack.PackItem, n: int, count: int) -> None:
    st.button("Up", key=f"up-{item.passage_id}", icon=":material/arrow_upward:", disabled=n == 1,
              on_click=_move, args=(item.passage_id, -1))
    st.button("Down", key=f"down-{item.passage_id}", icon=":material/arrow_downward:", disabled=n == count,
              on_click=_move, args=(item.passage_id, 1))


def sidebar_ui(searcher: Searcher, state: present.PageState) -> None:
    with st.sidebar:
        st.subheader("Filters")
        st.slider("Number of results", 1, present.MAX_K, key="w_k",
                  help="Cards in Search; matched questions in Compare.")
        st.pills("Speakers", searcher.speakers, selection_mode="multi", key="w_speakers",
                 help="Search and Browse show only these speakers. None chosen means everyone.")
        st.toggle("One card per question", key="w_grouped",
                  help="Show only the best passage of each question, so one long answer cannot fill the page.")
        st.divider()
        count = len(st.session_state.pack)
        st.markdown(f"**Discussion pack:** {count} passage{'s' if count != 1 else ''}")
        st.button("Open the pack", icon=":material/inventory_2:", on_click=_show, args=("pack",),
                  disabled=state.view == "pack", key="open-pack")
        with st.expander("Share this page", icon=":material/link:"):
            st.caption("The address bar always holds this search; or copy this link:")
            st.code(present.share_link(getattr(st.context, "url", "") or "", state), language=None,
                    wrap_lines=True)


def glossary_ui(glossary: dict, spellings: dict) -> None:
    with st.expander("Glossary: the acronyms the panel uses", icon=":material/dictionary:"):
        html(present.glossary_html(present.glossary_rows(glossary, spellings)))
        st.caption("In the text, acronyms are underlined with dots: hover over one to see what it stands for.")


VIEWS = {"search": search_view_ui, "compare": compare_view_ui, "browse": browse_view_ui}


def main() -> None:
    st.html(CSS)
    paths = (str(index_dir()), str(corpus_dir()))
    try:
        stamp = present.index_stamp(*map(Path, paths))
        searcher = get_searcher(*paths, stamp)
        glossary, spellings = get_glossary(*paths, stamp)
    except PanelsearchError as err:
        st.title("panelsearch")
        st.error(f"The search index is not ready: {err}", icon=":material/error:")
        st.info(REBUILD)
        return
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as err:
        # Only loading is guarded here: some damaged index files still escape index.py unconverted.
        st.title("panelsearch")
        st.error(f"The search index is not ready: it could not be read ({type(err).__name__}: {err}).",
                 icon=":material/error:")
        st.info(REBUILD)
        return
    init_state(searcher)
    colours = present.speaker_colours(searcher.speakers)

    st.title("What did the panel say?")
    st.caption(f"Search a webinar Q&A on co-production in healthcare quality improvement: "
               f"{len(searcher.questions)} audience questions answered by {' and '.join(searcher.speakers)}.")
    if st.session_state.link_problems:
        st.warning("Parts of the link were ignored: " + present.escape("; ".join(st.session_state.link_problems))
                   + ".")
        st.session_state.link_problems = []
    state = current_state(searcher)
    query_ui(searcher, state)
    sidebar_ui(searcher, state)

    labels = [present.VIEW_LABELS[v] for v in present.VIEWS]
    tabs = st.tabs(labels, key="view", on_change="rerun")
    for tab, view in zip(tabs, present.VIEWS):
        if tab.open:
            with tab:
                if view == "pack":
                    pack_view_ui(colours, glossary)
                else:
                    VIEWS[view](searcher, state, glossary, colours)
    glossary_ui(glossary, spellings)
    sync_url(current_state(searcher))


main()
