"""panelsearch web page (Streamlit). This file only draws; the package computes."""
import html

import streamlit as st

from panelsearch.config import corpus_dir, index_dir
from panelsearch.errors import PanelsearchError
from panelsearch.search import Searcher

st.set_page_config(page_title="panelsearch", page_icon="🔎", layout="wide")


@st.cache_resource(show_spinner="Loading the model and the index…")
def get_searcher(index_dir: str, corpus_dir: str) -> Searcher:
    return Searcher.load(index_dir, corpus_dir=corpus_dir)


def main() -> None:
    st.title("panelsearch")
    st.caption("Search what the panel said: a webinar Q&A on co-production in healthcare quality improvement.")
    try:
        searcher = get_searcher(str(index_dir()), str(corpus_dir()))
    except PanelsearchError as err:
        st.error(f"The search index is not ready: {err}")
        st.info("Build it with `make run` or `python -m panelsearch build`, then reload this page.")
        return
    query = st.text_input("Your question", placeholder="e.g. How do we pay experts by experience?")
    speakers = st.multiselect("Speakers", searcher.speakers, default=searcher.speakers)
    if not query.strip():
        return
    try:
        result = searcher.query(query, k=5, speakers=speakers or None)
    except PanelsearchError as err:
        st.warning(str(err))
        return
    if result.low_confidence:
        st.warning("The panel did not really cover this. The closest passages are below.")
    for hit in result.hits:
        with st.container(border=True):
            st.markdown(f"**{html.escape(hit.speaker)}** · Q{hit.question_number}: {html.escape(hit.question)}")
            st.text(hit.text)
            st.caption(f"{hit.relevance} · score {hit.score:.2f}")


main()
