"""panelsearch web page (Streamlit). This file only routes: it reads the page's state from the address
and the session, draws the sidebar, and hands each view to ui/ (results, browse, packs, library),
which draw what panelsearch.views says each view shows, with markup from panelsearch.html.

Every piece of corpus or query text that reaches ``unsafe_allow_html`` was escaped by html.py.
"""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from panelsearch import glossary as glossaries
from panelsearch import html, urlstate, views, wording
from panelsearch.config import DEFAULT_K, PAGE_MAX_K
from panelsearch.errors import PanelsearchError
from panelsearch.index_load import index_stamp
from panelsearch.search import Searcher
from panelsearch.saved import SavedPack
from ui.actions import show
from ui.browse import browse_view_ui
from ui.focus import keep_focus, restore_focus
from ui.library import library_ui
from ui.loading import REBUILD, PageSettings, get_glossary, get_searcher, get_store, page_settings
from ui.packs import pack_view_ui
from ui.perspectives import topics_view_ui, whos_who_ui
from ui.pieces import markup, several
from ui.results import compare_view_ui, query_ui, search_view_ui
from ui.style import CSS

st.set_page_config(page_title="panelsearch · what did the panel say?", page_icon="🔎", layout="wide")


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


def sidebar_ui(searcher: Searcher, state: urlstate.PageState, speakers: dict[str, str], settings: PageSettings) -> None:
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
        st.button("Open the pack", icon=":material/inventory_2:", on_click=show, args=("pack",),
                  disabled=state.view == "pack", key="open-pack")
        with st.expander("Share this page", icon=":material/link:"):
            st.caption("The address bar always holds this search; or copy this link:")
            st.code(urlstate.share_link(getattr(st.context, "url", "") or "", state), language=None,
                    wrap_lines=True)
        library_ui(searcher, settings)


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


def glossary_ui(glossary: dict, spellings: dict) -> None:
    with st.expander("Glossary: the acronyms the panel uses", icon=":material/dictionary:"):
        markup(html.glossary_html(glossaries.glossary_rows(glossary, spellings)))
        st.caption("In the text, acronyms are underlined with dots: hover over one to see what it stands for.")


VIEWS = {"search": search_view_ui, "compare": compare_view_ui, "browse": browse_view_ui}


def main() -> None:
    st.html(CSS)
    settings = page_settings()
    paths = (str(settings.library.index), str(settings.library.corpus))
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
    sidebar_ui(searcher, state, speakers, settings)

    tabs = st.tabs(list(urlstate.VIEWS.values()), key="view", on_change=keep_focus,
                   args=("view", "tab"))  # a keyboard user carries on from the tab they chose
    for tab, view in zip(tabs, urlstate.VIEWS):
        if tab.open:
            with tab:
                if view == "pack":
                    pack_view_ui(searcher, saved, glossary)
                elif view == "topics":
                    topics_view_ui(searcher, glossary)
                else:
                    VIEWS[view](searcher, state, glossary)
                if view != "topics":
                    whos_who_ui(searcher, list(state.docs) or None)
    glossary_ui(glossary, spellings)
    sync_url(current_state(searcher))
    restore_focus()


main()
