"""The Topics view: what the panel covered, who spoke on what (a speaker × topic chart), and a card
for each speaker (questions answered, topics, distinctive terms, name and role where given), which
every other view also ends with, so that any speaker's badge leads to their card.

Nothing is computed here: the topics and the speakers' terms and topics are computed when the index
is built and stored with it (topics.json, read by index_load.py), and the Searcher holds them."""
from __future__ import annotations

import altair as alt
import streamlit as st

from panelsearch import html, views, wording
from panelsearch.search import Searcher
from ui.actions import search_for, show
from ui.pieces import markup


def topics_view_ui(searcher: Searcher, glossary) -> None:
    topics = searcher.topics
    rows = views.topic_rows(topics, searcher.catalog)
    st.caption(f"The library's answers fall into {wording.plural(len(rows), 'topic')}, found from what the "
               "answers say. Each topic lists its audience questions and who spoke on it.")
    chart = alt.Chart(alt.Data(values=views.coverage_table(topics, searcher.catalog))).mark_rect().encode(
        x=alt.X("speaker:N", title="Speaker"), y=alt.Y("topic:N", title=None, sort=None, axis=alt.Axis(labelLimit=320)),
        color=alt.Color("passages:Q", title="Passages", scale=alt.Scale(scheme="blues")),
        tooltip=["topic:N", "speaker:N", "passages:Q"])
    st.altair_chart(chart, use_container_width=True)
    for row in rows:
        with st.container(border=True):
            markup(html.topic_html(row, glossary))
            with st.container(horizontal=True):
                for source, number in row.questions:
                    st.button(f"Q{number}", key=f"topic-{row.id}-{source}-{number}", on_click=show,
                              args=("browse", number, source if len(searcher.sources) > 1 else None),
                              help=f"Browse: {searcher.catalog.question(source, number).question}")
                st.button("Search this topic", key=f"topic-{row.id}-search", icon=":material/search:",
                          on_click=search_for, args=(row.label,), help=f"Search for “{row.label}”")
    whos_who_ui(searcher)


def whos_who_ui(searcher: Searcher, sources: list[str] | None = None) -> None:
    """A card per speaker (of ``sources``, by default the whole library): every badge links here.
    The Topics view shows it in full; the other views end with it, so a badge always leads somewhere."""
    st.subheader("Who's who")
    for card in views.speaker_cards(searcher.catalog, searcher.speaker_terms, searcher.speaker_topics):
        if not sources or card.source in sources:
            markup(html.speaker_card_html(card))
