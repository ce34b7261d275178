"""The Streamlit page, run headless with AppTest against a real index."""
import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT


@pytest.fixture
def app(built_index, monkeypatch):
    corpus, index = built_index
    monkeypatch.setenv("PANELSEARCH_INDEX", str(index))
    monkeypatch.setenv("PANELSEARCH_CORPUS", str(corpus))
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)


def test_typing_a_query_shows_results(app):
    app.run()
    assert not app.exception
    app.text_input[0].input("How do we pay experts by experience?").run()
    assert not app.exception
    page = " ".join(m.value for m in app.markdown)
    assert "Q9" in page and "AC" in page


def test_missing_index_shows_message(tmp_path, monkeypatch):
    monkeypatch.setenv("PANELSEARCH_INDEX", str(tmp_path / "none"))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    assert not at.exception
    assert any("index is not ready" in e.value for e in at.error)
