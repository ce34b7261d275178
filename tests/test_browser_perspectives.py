"""Perspectives (issue #12) as a reader sees them in real Chromium, at laptop and phone widths: the
Topics view with its speaker × topic chart, a speaker's Who's who card reached from a badge, and
where the panelists agree in Compare. Screenshots: tests/artifacts/perspectives-*.png; the laptop
ones are the README's pictures (`make screenshots`).
"""
from __future__ import annotations

import pytest

from tests.browser_util import (ARTIFACTS, CHROMIUM, CHROMIUM_MISSING, open_app, screenshot,
                                streamlit_server, watch_runs)

pytestmark = pytest.mark.browser

SIZES = {"laptop": (1366, 900), "phone": (390, 844)}
TRAINING = "what training do experts by experience need"

if not CHROMIUM.exists():
    pytest.skip(CHROMIUM_MISSING, allow_module_level=True)


@pytest.fixture(scope="module")
def server(built_index):
    with streamlit_server(*built_index, ARTIFACTS / "streamlit-perspectives.log") as url:
        yield url


@pytest.fixture(params=list(SIZES))
def page(request, browser, server):
    width, height = SIZES[request.param]
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.set_default_timeout(90_000)
    watch_runs(page)
    page.size_name = request.param
    yield page
    context.close()


def shot(page, name: str, publish: str | None = None, full: bool = False) -> None:
    laptop = page.size_name == "laptop"
    screenshot(page, ARTIFACTS / f"perspectives-{name}-{page.size_name}.png", full=full,
               publish=publish if laptop else None)


def test_topics_view_shows_topics_the_chart_and_the_cards(page, server):
    open_app(page, f"{server}/?view=topics")
    page.get_by_role("tab", name="Topics", selected=True).wait_for()
    chart = page.locator("[data-testid=stVegaLiteChart]")
    chart.wait_for()
    page.wait_for_function("() => document.querySelector('[data-testid=stVegaLiteChart] canvas, "
                           "[data-testid=stVegaLiteChart] svg')")
    topics = page.locator(".ps-question")
    assert topics.count() >= 4  # a heading per topic
    assert page.get_by_role("button", name="Search this topic").count() == topics.count()
    cards = page.locator(".ps-who")
    assert cards.count() == 2 and "Words that set them apart" in cards.first.inner_text()
    chart.scroll_into_view_if_needed()
    shot(page, "topics", publish="topics.png")


def test_a_badge_leads_to_the_speakers_card(page, server):
    open_app(page, f"{server}/?query={TRAINING.replace(' ', '+')}")
    page.locator(".ps-passage").first.wait_for()
    link = page.locator("a.ps-who-link").first
    target = link.get_attribute("href")
    assert target.startswith("#who-")
    link.click()
    page.wait_for_function("t => location.hash === t", arg=target)
    card = page.locator(f"{target}.ps-who")
    page.wait_for_function(  # scrolled to: the card's top is on screen
        "t => { const r = document.querySelector(t).getBoundingClientRect();"
        " return r.top >= 0 && r.top < window.innerHeight; }", arg=target)
    text = card.inner_text()
    assert "Answered Q" in text and "Spoke most on" in text and "Words that set them apart" in text
    assert "query=" in page.url  # the search is still the page's: nothing was reloaded
    shot(page, "whos-who", publish="whos-who.png")


def test_compare_shows_where_they_make_the_same_point(page, server):
    open_app(page, f"{server}/?view=compare&query={TRAINING.replace(' ', '+')}")
    page.get_by_role("tab", name="Compare", selected=True).wait_for()
    summary = page.get_by_text("make the same point").first
    summary.wait_for()
    summary.click()  # opened in the browser: no script run
    groups = page.locator(".ps-agree:visible").first
    groups.wait_for()
    text = groups.inner_text()
    assert "Both said" in text and "said" in text.replace("Both said", "", 1)  # and an "Only … said"
    assert "disagree" not in text.lower()  # never a claim of disagreement
    groups.scroll_into_view_if_needed()
    shot(page, "agreement", publish="agreement.png")
