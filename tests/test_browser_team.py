"""A page a QI team can rely on (issue #11), as a user does it in real Chromium: a pack that survives a
reload and opens from a copied link in a fresh browser, a read-only page with no upload control,
badge colours that an upload does not change, a removed document that search no longer finds, and
a phone that shows the first result and the pack's count. Screenshots: tests/artifacts/team-*.png.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from contextlib import contextmanager

import pytest

from tests.browser_util import (ARTIFACTS, CHROMIUM, CHROMIUM_MISSING, IDLE, screenshot,
                                streamlit_server)
from tests.conftest import ROOT

pytestmark = pytest.mark.browser

PAY = "How do we pay experts by experience?"
PANEL_MD = """# Running a patient panel

## 1. Should panel members be refunded for car park charges?

**JB:** Yes: refund car park charges on the day, with a receipt, from petty cash.

**SK:** Agree, and keep a simple parking log at reception.
"""

if not CHROMIUM.exists():
    pytest.skip(CHROMIUM_MISSING, allow_module_level=True)


@contextmanager
def environment(**values: str):
    """streamlit_server passes on this process's environment: set some of it for one server."""
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@pytest.fixture(scope="module")
def editable(built_index, tmp_path_factory):
    """A writable copy of the seed library served with editing allowed (as `make run` does)."""
    base = tmp_path_factory.mktemp("team")
    corpus, index = base / "corpus", base / "index"
    shutil.copytree(built_index[0], corpus)
    shutil.copytree(built_index[1], index)
    with environment(PANELSEARCH_ALLOW_EDIT="1", PANELSEARCH_DATA=str(base / "data")):
        with streamlit_server(corpus, index, ARTIFACTS / "streamlit-team.log") as url:
            yield url, corpus, base




def new_page(browser, width: int = 1366, height: int = 900):
    page = browser.new_context(viewport={"width": width, "height": height}).new_page()
    page.set_default_timeout(90_000)
    return page


def opened(page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("h1")
    page.wait_for_function(IDLE)


def ask(page, query: str) -> None:
    box = page.get_by_label("Ask the panel")
    box.fill(query)
    box.press("Enter")
    page.wait_for_function("q => document.querySelector('input[aria-label=\"Ask the panel\"]').value === q && "
                           "location.search.includes('query=')", arg=query)
    page.wait_for_selector(".ps-card")
    page.wait_for_function(IDLE)


def pack_count(page) -> str:
    return page.locator(".ps-packcount").inner_text()


def test_a_pack_survives_a_reload_and_opens_from_a_copied_link(editable, browser):
    url = editable[0]
    page = new_page(browser)
    opened(page, url)
    ask(page, PAY)
    page.get_by_role("button", name="Add to pack").first.click()
    page.wait_for_function("() => location.search.includes('pack=')")
    page.wait_for_function(IDLE)
    page.get_by_role("button", name="Add to pack").first.click()
    page.wait_for_function("() => document.querySelector('.ps-packcount')?.innerText === 'Pack: 2'")
    link = page.url

    page.reload()
    page.wait_for_selector("h1")
    page.wait_for_function("() => document.querySelector('.ps-packcount')?.innerText === 'Pack: 2'")

    fresh = new_page(browser)  # another browser context: no cookies, no session, only the link
    opened(fresh, link)
    fresh.get_by_role("tab", name="Pack").click()
    fresh.wait_for_function("() => document.querySelectorAll('.ps-pack-quote').length === 2")
    screenshot(fresh, ARTIFACTS / "team-pack-from-link.png", full=True)
    assert fresh.locator(".ps-pack-quote").count() == 2


def test_a_read_only_page_has_no_upload_control(built_index, browser, tmp_path):
    with environment(PANELSEARCH_ALLOW_EDIT="0", PANELSEARCH_DATA=str(tmp_path / "data")):
        with streamlit_server(*built_index, ARTIFACTS / "streamlit-readonly.log") as url:
            page = new_page(browser)
            opened(page, url)
            page.get_by_text("This library is read-only", exact=False).first.wait_for()
            screenshot(page, ARTIFACTS / "team-read-only.png")
            assert page.get_by_text("Add a document").count() == 0
            assert page.locator("[data-testid=stFileUploader]").count() == 0
            assert page.get_by_text("Remove a document").count() == 0


def badge_colours(page) -> dict[str, str]:
    """Speaker -> badge colour, a speaker named by the card their badge links to (one per document and
    initials: two documents may both have an SK) and their initials."""
    return page.evaluate("() => Object.fromEntries([...document.querySelectorAll('a.ps-who-link .ps-badge')]"
                         ".map(b => [b.closest('a').getAttribute('href') + ' ' + b.textContent.trim(),"
                         " getComputedStyle(b).backgroundColor]))")


def test_an_upload_keeps_badge_colours_and_a_removed_document_is_not_found(editable, browser, tmp_path):
    url, corpus, _ = editable
    page = new_page(browser)
    opened(page, url)
    ask(page, "training for experts by experience")
    before = badge_colours(page)
    assert sorted(k.split()[-1] for k in before) == ["AC", "SK"]  # the seed's two panelists

    upload = tmp_path / "panel.md"
    upload.write_text(PANEL_MD)
    page.get_by_text("Add a document").click()
    page.locator("[data-testid=stFileUploader] input[type=file]").set_input_files(str(upload))
    page.get_by_role("button", name="Add to the library").click()
    page.get_by_text("Added “Running a patient panel”", exact=False).wait_for()
    page.wait_for_function(IDLE)
    assert (corpus / "panel.md").exists()
    ask(page, "training for experts by experience")
    after = badge_colours(page)
    assert {k: after.get(k) for k in before} == before
    screenshot(page, ARTIFACTS / "team-after-upload.png")

    # `python -m panelsearch remove`, as a keeper of the library does it; the open page notices the new index.
    out = subprocess.run([sys.executable, "-m", "panelsearch", "remove", "panel", "--corpus", str(corpus),
                          "--index", str(corpus.parent / "index")], cwd=ROOT, capture_output=True, text=True,
                         timeout=300, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert out.returncode == 0, out.stderr
    assert not (corpus / "panel.md").exists()
    page.reload()
    page.wait_for_selector("h1")
    page.wait_for_function(IDLE)
    ask(page, "car park charges refunded for panel members")
    page.wait_for_function(IDLE)
    assert "Running a patient panel" not in page.locator("[data-testid=stMain]").inner_text()
    assert "Search 2 documents" not in page.locator("[data-testid=stMain]").inner_text()


def test_a_phone_shows_the_first_result_and_the_pack_count(editable, browser):
    page = new_page(browser, 390, 844)
    opened(page, editable[0] + "/?query=how+do+we+pay+experts+by+experience")
    page.wait_for_selector(".ps-card")
    page.wait_for_function(IDLE)
    top = page.evaluate("() => document.querySelector('.ps-card').getBoundingClientRect().top")
    assert top < 844 - 120, top  # the card's first lines are on the first screen
    assert page.locator(".ps-packcount").is_visible() and pack_count(page).startswith("Pack: ")
    screenshot(page, ARTIFACTS / "team-phone.png")
