"""Readers' feedback in real Chromium (issue #12): a click on "This helped" on a result card is
recorded, the card says so, and `python -m panelsearch feedback export` lists the passage as
relevant for the query; changing the verdict to "Not this" moves it. Screenshot:
tests/artifacts/feedback-recorded.png. Every wait is on the page's state, never on a fixed time.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
from playwright.sync_api import expect

from tests.browser_util import (ARTIFACTS, CHROMIUM, CHROMIUM_MISSING, LAPTOP, open_app, rerun, screenshot,
                                streamlit_server, watch_runs)
from tests.conftest import ROOT, SEED_SOURCE

pytestmark = pytest.mark.browser

PAY = "How do we pay experts by experience?"

if not CHROMIUM.exists():
    pytest.skip(CHROMIUM_MISSING, allow_module_level=True)


@pytest.fixture
def served(built_index, tmp_path):
    """The app on the session's index, with a data folder of this test's own."""
    data = tmp_path / "data"
    with streamlit_server(*built_index, ARTIFACTS / "streamlit-feedback.log", data=data) as url:
        yield url, data, built_index[1]


def exported(data, index) -> dict:
    """What `python -m panelsearch feedback export` writes, run as a keeper of the library runs it."""
    out = subprocess.run([sys.executable, "-m", "panelsearch", "feedback", "export", "--data", str(data),
                          "--index", str(index)], cwd=ROOT, capture_output=True, text=True, timeout=120,
                         env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_this_helped_is_recorded_shown_on_the_card_and_exported(served, browser):
    url, data, index = served
    page = browser.new_page(viewport=LAPTOP)
    page.set_default_timeout(60_000)
    watch_runs(page)
    open_app(page, url)
    box = page.get_by_label("Ask the panel")
    box.fill(PAY)
    with rerun(page):
        box.press("Enter")
    helped = page.get_by_role("button", name=re.compile(r"^(\w+ )?This helped: ")).first
    expect(helped).to_be_visible()
    name = re.search(r"This helped: (.+ on Q\d+)", helped.inner_text()).group(1)  # "AC on Q9"
    speaker, number = re.fullmatch(r"(.+) on Q(\d+)", name).groups()

    with rerun(page):
        helped.click()
    recorded = page.get_by_role("button", name=f"Recorded that this helped: {name}")
    expect(recorded).to_be_visible()
    expect(recorded).to_be_disabled()
    expect(page.get_by_role("button", name=f"Change to not this: {name}")).to_be_enabled()
    expect(page.get_by_role("button", name=f"Take back: {name}")).to_be_enabled()
    screenshot(page, ARTIFACTS / "feedback-recorded.png")

    data_json = exported(data, index)
    assert data_json["review"] == "pending"
    [candidate] = data_json["queries"]
    assert candidate["query"] == PAY and candidate["review"] == "pending"
    [unit] = candidate["relevant"]
    assert (unit["source"], unit["question"], unit["speaker"], unit["grade"]) == (SEED_SOURCE, int(number), speaker, 2)
    assert candidate["not_relevant"] == [] and data_json["passages"][unit["passage_ids"][0]]["in_library"]

    with rerun(page):  # the reader thinks again: the same row changes, none is added
        page.get_by_role("button", name=f"Change to not this: {name}").click()
    expect(page.get_by_role("button", name=f"Recorded as not this: {name}")).to_be_disabled()
    data_json = exported(data, index)
    assert data_json["verdicts"] == 1
    [candidate] = data_json["queries"]
    assert candidate["relevant"] == [] and [p["passage_id"] for p in candidate["not_relevant"]] == unit["passage_ids"]
