"""Where the panelists agree (issue #12), in the CLI and the page."""
import json
import os
import subprocess
import sys

from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT


def test_compare_json_rows_carry_the_agreement_groups(built_index):
    corpus, index = built_index
    out = subprocess.run([sys.executable, "-m", "panelsearch", "compare", "what training do experts by experience need",
                          "--json", "--index", str(index), "--corpus", str(corpus)], cwd=ROOT, capture_output=True,
                         text=True, timeout=300, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert {"query", "speakers", "hits", "rows", "confidence"} <= set(data)  # the old fields stay
    q7 = next(r for r in data["rows"] if r["question_number"] == 7)
    groups = q7["agreement"]
    assert q7["both_answered"] and groups["both"] and set(groups["only"]) == {"AC", "SK"}
    answers = " ".join(c["hits"][0]["text"] for c in q7["cells"].values() if c["hits"])
    for pair in groups["both"]:  # extractive: each side is a sentence the speaker said
        assert pair["a_sentence"] and pair["b_sentence"]
    assert answers
    one_speaker = [r for r in data["rows"] if not r["both_answered"]]
    assert all(r["agreement"] is None for r in one_speaker)


def opened(built_index, monkeypatch, tmp_path, **params) -> AppTest:
    """The page on the seed library, opened from a link with these parameters."""
    corpus, index = built_index
    monkeypatch.setenv("PANELSEARCH_INDEX", str(index))
    monkeypatch.setenv("PANELSEARCH_CORPUS", str(corpus))
    monkeypatch.setenv("PANELSEARCH_DATA", str(tmp_path))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    for name, value in params.items():
        at.query_params[name] = value
    return at.run()


def test_the_page_shows_where_they_make_the_same_point(built_index, monkeypatch, tmp_path):
    at = opened(built_index, monkeypatch, tmp_path, query="what training do experts by experience need", view="compare")
    assert not at.exception
    same = [e for e in at.expander if e.label == "Where AC and SK make the same point" or
            e.label == "Where SK and AC make the same point"]
    bodies = ["\n".join(m.value for m in e.markdown) for e in same]
    q7 = next(b for b in bodies if "methodology and tools to enhance" in b)
    assert "Both said" in q7 and "Only AC said" in q7 and "QI</abbr> learning modules" in q7


def test_the_topics_view_lists_topics_a_chart_and_a_card_per_speaker(built_index, monkeypatch, tmp_path):
    at = opened(built_index, monkeypatch, tmp_path, view="topics")
    assert not at.exception
    page = "\n".join(m.value for m in at.markdown)
    assert page.count('class="ps-question"') >= 4  # a heading per topic
    assert at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")  # the speaker × topic chart
    assert "ps-who" in page and "Words that set them apart" in page and "panelist AC" in page
    q = next(b for b in at.button if b.label.startswith("Q") and b.key.startswith("topic-"))
    q.click().run()
    assert at.session_state["view"] == "Browse"


def test_every_badge_on_a_search_page_leads_to_a_who_s_who_card_on_that_page(built_index, monkeypatch, tmp_path):
    import re

    at = opened(built_index, monkeypatch, tmp_path, query="how do we pay experts by experience")
    assert not at.exception and at.session_state["view"] == "Search"
    page = "\n".join(m.value for m in at.markdown)
    targets = set(re.findall(r'class="ps-who-link" href="#(who-[0-9a-f]+)"', page))
    cards = set(re.findall(r'class="ps-who" id="(who-[0-9a-f]+)"', page))
    assert targets and targets <= cards  # no badge points nowhere
    assert page.count('class="ps-who"') == 2  # AC and SK, once each


def test_a_topic_can_be_searched_from_the_topics_view(built_index, monkeypatch, tmp_path):
    at = opened(built_index, monkeypatch, tmp_path, view="topics")
    button = next(b for b in at.button if b.key.endswith("-search") and b.key.startswith("topic-"))
    button.click().run()
    assert not at.exception
    assert at.session_state["view"] == "Search" and at.session_state["w_query"]
    assert 'class="ps-passage"' in "\n".join(m.value for m in at.markdown)  # the label's passages, found
