"""The sidebar's library section: read-only, an editors' sign-in, or upload and remove with progress."""
from __future__ import annotations

import streamlit as st

from panelsearch import html, library, views, wording
from panelsearch.access import library_access
from panelsearch.config import Settings
from panelsearch.errors import PanelsearchError
from panelsearch.search import Searcher
from ui.actions import queue_removal, queue_uploads
from ui.loading import PageSettings


UPLOAD_TYPES = ["txt", "md", "pdf", "docx", "json"]  # .json: a <stem>.meta.json beside its document


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
                  on_click=queue_uploads, args=(key,), key="add-files")
        if problem:
            st.error(html.escape(problem), icon=":material/error:")
        if report is not None:
            add_report_ui(report)


STAGE_TEXT = {"read": "Documents read", "embed": "Passages and questions embedded"}


def library_change_ui(searcher: Searcher, folders: Settings) -> None:
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
                report = library.add_uploads(what, folders.corpus, folders.index, searcher.embedder, progress=progress)
                st.session_state.add_result = (report, "")
            else:
                removed = library.remove_document(what, folders.corpus, folders.index, searcher.embedder,
                                                  progress=progress)
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


def library_ui(searcher: Searcher, settings: PageSettings) -> None:
    """The sidebar's library section: read-only, an editors' sign-in, or the upload and remove controls,
    as the page's settings allow (ui.loading.page_settings)."""
    access = library_access(settings.allow_edit, settings.editors_token, st.session_state.get("w_editor_token"))
    st.caption(access.note)
    if access.can_sign_in:
        st.text_input("Editors' token", type="password", key="w_editor_token",
                      help="Given by whoever runs this page; it lets this browser session change the library.")
    if not access.can_edit:
        return
    library_change_ui(searcher, settings.library)
    upload_ui(searcher)
    remove_ui(searcher)


def remove_ui(searcher: Searcher) -> None:
    message = st.session_state.get("remove_result") or ""
    with st.expander("Remove a document", icon=":material/delete:", expanded=bool(message)):
        source = st.selectbox("Document to remove", searcher.sources, key="w_remove_doc",
                              format_func=lambda s: searcher.titles.get(s, s))
        sure = st.checkbox("Yes, take it out of the library and the index", key="w_remove_sure")
        st.button("Remove from the library", icon=":material/delete:", disabled=not sure or len(searcher.sources) < 2,
                  on_click=queue_removal, args=(source,), key="remove-doc",
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
