"""Callbacks: what a click or a keystroke changes, before the rerun it causes. Each gets its arguments."""
from __future__ import annotations

import streamlit as st

from panelsearch import pack, urlstate
from panelsearch.config import PAGE_QUERY_MAX_CHARS
from panelsearch.errors import PanelsearchError
from panelsearch.feedback import HELPED, Feedback, query_key
from ui.focus import keep_focus
from ui.loading import get_store


def show(view: str, question: int | None = None, source: str | None = None) -> None:
    """Switch view (the tabs' widget holds the view's label); with ``source`` (a library of several
    documents), narrow the document filter to the question's document: the link then reads
    ``?view=browse&doc=<source>&q=11``."""
    st.session_state.view = urlstate.VIEWS[view]
    if view == "browse":
        st.session_state.browse_q = question
    if source is not None:
        st.session_state.w_docs = [source]


def on_query() -> None:
    query = st.session_state.get("w_query") or ""
    if len(query) > PAGE_QUERY_MAX_CHARS:
        st.session_state.w_query = query[:PAGE_QUERY_MAX_CHARS]
        st.session_state.query_cut = True
    if urlstate.view_key(st.session_state.get("view")) in ("browse", "pack", "topics"):
        show("search")


def search_for(text: str) -> None:
    """Search for ``text`` (a topic's label) in the Search view."""
    st.session_state.w_query = text
    show("search")


def use_example() -> None:
    example = st.session_state.get("w_example")
    if example:
        st.session_state.w_query = example
        st.session_state.w_example = None
        on_query()


def add_to_pack(item: pack.PackItem, key: str | None = None) -> None:
    """Add to the open pack, saving a new pack (its id then goes into the address) if none is open.
    ``key``: the Add button's, which keeps the keyboard focus after the rerun (ui/focus.py)."""
    packs, ss = get_store(), st.session_state
    if key:
        keep_focus(key)
    try:
        if not ss.get("pack_id") or packs.pack(ss.pack_id) is None:
            ss.pack_id = packs.create_pack()
        packs.add_item(ss.pack_id, item)
        count = len(packs.pack(ss.pack_id).items)
    except PanelsearchError as err:  # the pack is full, or the data folder cannot be written
        st.toast(f"Not added: {err}", icon=":material/error:")
        return
    st.toast(f"Added to your pack ({count}). It is saved: open **Pack** to download it.")


def edit_pack(action: str, pack_id: str, *args) -> None:
    """One change to a saved pack: remove, move, clear, rename, note or prompt (store.Store's methods).
    ``rename``, ``set_note`` and ``set_prompt`` take the new text from the widget whose key is last."""
    if action in ("rename", "set_note", "set_prompt"):
        *args, key = args
        args = (*args, st.session_state.get(key) or ("" if action != "rename" else pack.DEFAULT_TITLE))
    try:
        getattr(get_store(), action)(pack_id, *args)
    except PanelsearchError as err:  # a note over its limit, a pack removed meanwhile
        st.toast(str(err), icon=":material/error:")


def move_in_pack(pack_id: str, passage_id: str, offset: int, key: str) -> None:
    """Move an item up (-1) or down (1); the keyboard focus stays on the Up or Down button pressed,
    which moves with its item."""
    edit_pack("move_item", pack_id, passage_id, offset)
    keep_focus(key)


def give_feedback(feedback: Feedback, query: str, passage_id: str, verdict: str | None) -> None:
    """A reader's verdict on a result card ("helped" or "not_this"; None takes it back). The id of the
    row a click made stays in this session (``feedback_given``, keyed by query and passage), so a
    second click changes that row instead of adding one; the row itself holds nothing about the reader."""
    given, key = st.session_state.setdefault("feedback_given", {}), feedback_key(query, passage_id)
    row = given.get(key, (None, None))[0]
    try:
        if verdict is None:
            if row is not None:
                feedback.withdraw(row)
            given.pop(key, None)
            st.toast("Taken back: that verdict is no longer recorded.", icon=":material/undo:")
            return
        if row is None or not feedback.change(row, verdict):  # none yet, or cleared since
            row = feedback.record(query, passage_id, verdict)
    except PanelsearchError as err:  # the feedback store is full, or the data folder cannot be written
        st.toast(f"Not recorded: {err}", icon=":material/error:")
        return
    given[key] = (row, verdict)
    st.toast(f"Thank you: recorded that {'this helped' if verdict == HELPED else 'it was not this'}.",
             icon=":material/check_circle:")


def feedback_key(query: str, passage_id: str) -> tuple[str, str]:
    """Where a card's verdict is kept in the session: the query (case and spacing aside) and the passage."""
    return query_key(query), passage_id


def new_pack() -> None:
    """Start another pack; the one open now stays saved, reachable by its link."""
    st.session_state.pack_id = ""


def browse_pick(several_documents: bool) -> None:
    picked = st.session_state.get("w_browse_q")  # (source, number) or None
    if picked is None:
        st.session_state.browse_q = None
    else:
        show("browse", picked[1], picked[0] if several_documents else None)


def queue_uploads(uploader: str) -> None:
    """Take the uploaded files for library_change_ui, which adds them where it can show progress."""
    st.session_state.pending_change = ("add", [(f.name, f.getvalue()) for f in (st.session_state.get(uploader) or [])])
    st.session_state.upload_n = st.session_state.get("upload_n", 0) + 1  # a fresh, empty uploader


def queue_removal(source: str) -> None:
    st.session_state.pending_change = ("remove", source)


def show_anyway(query: str) -> None:
    st.session_state.show_anyway = query
