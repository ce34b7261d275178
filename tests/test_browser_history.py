"""Back and Forward walk through the searches and views, in real Chromium (issue #11).

Each search, view change or opened question is one history entry; the page follows the address
when Back, Forward or an edited link changes it. Screenshots go to tests/artifacts/history-*.png.
"""
from __future__ import annotations


import pytest

from tests.browser_util import (ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, CHROMIUM_MISSING, IDLE, screenshot,
                                streamlit_server)

pytestmark = pytest.mark.browser

SHOWN = ("([query, tab]) => document.querySelector('input[aria-label=\"Ask the panel\"]')?.value === query && "
         "document.querySelector('[role=tab][aria-selected=true]')?.innerText.trim() === tab")

if not CHROMIUM.exists():
    pytest.skip(CHROMIUM_MISSING, allow_module_level=True)


@pytest.fixture(scope="module")
def server(built_index):
    with streamlit_server(*built_index, ARTIFACTS / "streamlit-history.log") as url:
        yield url


@pytest.fixture
def page(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1366, "height": 900})
        page.set_default_timeout(60_000)
        page.goto(server)
        page.wait_for_selector("h1")
        page.wait_for_function(IDLE)
        yield page
        browser.close()


def shows(page, query: str, tab: str, address_part: str) -> None:
    """Wait until the page shows ``query`` in ``tab`` and the address holds ``address_part``."""
    page.wait_for_function("part => location.search.includes(part)", arg=address_part)
    page.wait_for_function(SHOWN, arg=[query, tab])
    page.wait_for_function(IDLE)


def ask(page, query: str) -> None:
    box = page.get_by_label("Ask the panel")
    box.fill(query)
    box.press("Enter")


def test_back_and_forward_walk_through_searches_and_views(page):
    ask(page, "pay")
    shows(page, "pay", "Search", "query=pay")
    page.get_by_role("tab", name="Compare").click()
    shows(page, "pay", "Compare", "view=compare&query=pay")
    ask(page, "training")
    shows(page, "training", "Compare", "query=training")
    ask(page, "safe space")
    shows(page, "safe space", "Compare", "query=safe+space")

    page.go_back()
    shows(page, "training", "Compare", "view=compare&query=training")
    assert page.locator("[data-testid=stMain] .ps-question").count() >= 1  # its results, not only its address
    page.go_back()
    shows(page, "pay", "Compare", "view=compare&query=pay")
    page.go_back()
    shows(page, "pay", "Search", "?query=pay")
    screenshot(page, ARTIFACTS / "history-back-to-first-search.png")
    assert page.locator(".ps-card").count() >= 1

    page.go_forward()
    shows(page, "pay", "Compare", "view=compare&query=pay")
    page.go_forward()
    shows(page, "training", "Compare", "query=training")


def test_an_opened_question_is_a_history_entry(page):
    page.get_by_role("tab", name="Browse").click()
    shows(page, "", "Browse", "view=browse")
    page.wait_for_function("() => document.querySelectorAll('[data-testid=stMain] .ps-question').length > 1")
    page.get_by_role("combobox", name="Go to a question").click()
    page.get_by_role("option", name="Q9 ·", exact=False).first.click()
    shows(page, "", "Browse", "q=9")
    page.wait_for_function("() => document.querySelectorAll('[data-testid=stMain] .ps-question').length === 1")
    page.go_back()
    shows(page, "", "Browse", "view=browse")
    page.wait_for_function("() => !location.search.includes('q=9')")
    page.wait_for_function("() => document.querySelectorAll('[data-testid=stMain] .ps-question').length > 1")
