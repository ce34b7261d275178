"""The Pack view: a saved pack, its notes and prompts, and its downloads."""
from __future__ import annotations

from datetime import date

import streamlit as st

from panelsearch import handout, html, pack, wording
from panelsearch.search import Searcher
from panelsearch.saved import SavedItem, SavedPack, mark_missing, render
from ui.actions import edit_pack, move_in_pack, new_pack
from ui.loading import agreement_of
from ui.pieces import markup


def pack_view_ui(searcher: Searcher, saved: SavedPack | None, glossary) -> None:
    if saved is None or not saved.items:
        st.info("Your pack is empty. Use **Add to pack** on any passage in Search, Compare or Browse. "
                "The pack is saved as you go: this page's address opens it again, tomorrow or on a "
                "colleague's screen. Then download it as a Word handout or Markdown.",
                icon=":material/inventory_2:")
        return
    saved = mark_missing(saved, searcher.catalog)
    st.session_state.w_pack_title = saved.title
    st.text_input("Title of the handout", key="w_pack_title", max_chars=120, on_change=edit_pack,
                  args=("rename", saved.id, "w_pack_title"))
    today = date.today()
    agreements = agreement_option_ui(searcher, saved)
    with st.container(horizontal=True):
        st.download_button("Download Word (.docx)", data=render(saved, "docx", searcher.catalog, today, agreements),
                           file_name=pack.file_name(saved.title, today, "docx"), mime=handout.DOCX_MIME,
                           icon=":material/description:", type="primary", on_click="ignore", key="dl-docx")
        st.download_button("Download Markdown (.md)", data=render(saved, "md", searcher.catalog, today, agreements),
                           file_name=pack.file_name(saved.title, today, "md"), mime="text/markdown",
                           icon=":material/download:", on_click="ignore", key="dl-md")
    st.caption(f"{wording.plural(len(saved.items), 'passage')}, saved. Each comes with its question, speaker and "
               "source, a note and a discussion prompt you can edit, and ruled space for notes.")
    for entry in saved.items:
        pack_item_ui(saved, entry, glossary)
    with st.container(horizontal=True):
        st.button("Empty the pack", icon=":material/delete_sweep:", on_click=edit_pack, args=("clear", saved.id),
                  key="clear-pack")
        st.button("Start a new pack", icon=":material/add_box:", on_click=new_pack, key="new-pack")


def agreement_option_ui(searcher: Searcher, saved: SavedPack) -> list:
    """The choice to add "Where they agree" to the handout, offered when the pack quotes a question two
    or more panelists answered; the groups (agree.py, with the page's model) when it is chosen."""
    questions = pack.several_answered([s.item for s in saved.items if not s.missing], searcher.catalog)
    if not questions:
        return []
    if not st.checkbox("Include where the panelists agree", key="w_pack_agree",
                       help="For each question in the pack that two or more panelists answered: the sentences "
                            "both of them said, side by side, and what only one said, quoted as spoken."):
        return []
    return [a for q in questions if (a := agreement_of(q, searcher.embedder)) is not None]


def pack_item_ui(saved: SavedPack, entry: SavedItem, glossary) -> None:
    item, n, count = entry.item, entry.position, len(saved.items)
    with st.container(border=True):
        markup(html.pack_item_html(n, item, glossary, missing=entry.missing))
        who = f"{item.speaker_label}'s passage on Q{item.question_number}"
        note_key, prompt_key = f"note-{item.passage_id}", f"prompt-{item.passage_id}"
        st.text_area(f"Note on {who}", value=item.note, key=note_key, height=68, max_chars=2000,
                     on_change=edit_pack, args=("set_note", saved.id, item.passage_id, note_key))
        st.text_input(f"Discussion prompt for {who}", value=item.prompt, key=prompt_key, max_chars=2000,
                      placeholder=item.discussion_prompt, on_change=edit_pack,
                      args=("set_prompt", saved.id, item.passage_id, prompt_key))
        with st.container(horizontal=True):
            if count > 1:
                up, down = f"up-{item.passage_id}", f"down-{item.passage_id}"
                st.button(f"Up: {who}", key=up, icon=":material/arrow_upward:", disabled=n == 1,
                          on_click=move_in_pack, args=(saved.id, item.passage_id, -1, up))
                st.button(f"Down: {who}", key=down, icon=":material/arrow_downward:", disabled=n == count,
                          on_click=move_in_pack, args=(saved.id, item.passage_id, 1, down))
            st.button(f"Remove: {who}", key=f"remove-{item.passage_id}", icon=":material/delete:",
                      on_click=edit_pack, args=("remove_item", saved.id, item.passage_id))
