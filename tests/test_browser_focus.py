"""Keyboard focus stays where the reader acted (issue #11; ui/focus.py), in real Chromium: after
*Add to pack* pressed with the keyboard the focus is on that button (now "In your pack: …"), and
after a tab changed with the arrow keys it is on the selected tab. Each check waits for the focus
script to finish watching (``<html data-ps-focus="<n> done">``), so a late redraw that dropped the
focus would show. Screenshot: tests/artifacts/focus-add.png.

The script's own text is checked without a browser (the quick tier).
"""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser_util import (ARTIFACTS, CHROMIUM, CHROMIUM_MISSING, LAPTOP, drawn, open_app, rerun, screenshot,
                                streamlit_server, watch_runs)

PAY = "How do we pay experts by experience?"
FOCUS_STATE = "() => document.documentElement.dataset.psFocus || ''"


# -- the script, without a browser -----------------------------------------------------------------
def test_focus_script_holds_the_key_as_data_and_no_markup():
    from ui.focus import focus_script

    hostile = "</script><img src=x onerror=alert(1)>\"'`${x}"
    script = focus_script(hostile, "button", 7)
    body = script.removeprefix("<script>").removesuffix("</script>")
    # DOMPurify (st.html) drops a script whose text has "<" before a letter or "/": none at all here
    assert script.startswith("<script>") and script.endswith("</script>") and "<" not in body
    assert '"key": "\\u003c/script>\\u003cimg src=x onerror=alert(1)>\\"\'`${x}"' in body
    assert "CSS.escape(" in body and '"n": 7' in body


def test_keep_focus_takes_a_button_or_a_tab_only():
    from ui.focus import keep_focus

    with pytest.raises(ValueError):
        keep_focus("view", "link")


# -- in the browser --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def server(built_index):
    if not CHROMIUM.exists():
        pytest.skip(CHROMIUM_MISSING)
    with streamlit_server(*built_index, ARTIFACTS / "streamlit-focus.log") as url:
        yield url


def new_page(browser):
    page = browser.new_page(viewport=LAPTOP)
    page.set_default_timeout(60_000)
    watch_runs(page)
    return page


def focus_settled(page, before: str) -> str:
    """Wait until a focus script newer than ``before`` has stopped watching; its final state."""
    page.wait_for_function("b => { const s = document.documentElement.dataset.psFocus || '';"
                           " return s !== b && / (done|missing)$/.test(s); }", arg=before)
    return page.evaluate(FOCUS_STATE)


def ask(page, text: str) -> None:
    box = page.get_by_label("Ask the panel")
    box.fill(text)
    with rerun(page):
        box.press("Enter")
    expect(page.locator(".ps-card").first).to_be_visible()


@pytest.mark.browser
def test_focus_returns_to_the_add_button_pressed_with_the_keyboard(server, browser):
    page = new_page(browser)
    open_app(page, server)
    ask(page, PAY)
    add = page.locator("[data-testid=stMain]").get_by_role("button", name=re.compile(r"^Add to pack: ")).nth(1)
    about = add.inner_text().split("Add to pack: ", 1)[1].strip()  # "AC's passage on Q11"
    card_key = add.locator("xpath=ancestor::*[contains(@class, 'st-key-add-')][1]").get_attribute("class")
    card_key = re.search(r"st-key-add-\S+", card_key).group(0)
    before = page.evaluate(FOCUS_STATE)
    add.focus()
    with rerun(page):
        page.keyboard.press("Enter")
    expect(page.locator("[data-testid=stSidebar]")).to_contain_text("Discussion pack: 1 passage")
    assert focus_settled(page, before).endswith(" done")

    # The same button, in the same place, now saying what it did
    in_pack = page.get_by_role("button", name=f"In your pack: {about}")
    expect(in_pack).to_be_focused()
    holder = page.evaluate("() => document.activeElement.closest('[class*=st-key-add-]').className")
    assert card_key in holder.split()  # in the card's own Add slot
    assert page.evaluate("() => document.activeElement.innerText").endswith(f"In your pack: {about}")
    expect(in_pack).to_have_attribute("aria-disabled", "true")  # a screen reader hears it is unavailable
    screenshot(page, ARTIFACTS / "focus-add.png")

    # Enter on it adds nothing again and starts no run; Tab carries on to the next control, and the
    # button is disabled again once the focus has left it
    runs = page._ps_runs.finished
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    expect(in_pack).not_to_be_focused()
    expect(in_pack).to_be_disabled()
    assert page.evaluate("() => document.activeElement !== document.body")
    drawn(page)
    assert page._ps_runs.finished == runs
    expect(page.locator("[data-testid=stSidebar]")).to_contain_text("Discussion pack: 1 passage")
    page.close()


@pytest.mark.browser
def test_a_tab_changed_with_the_keyboard_keeps_the_focus(server, browser):
    page = new_page(browser)
    open_app(page, server)
    ask(page, PAY)
    page.get_by_role("tab", name="Search").focus()
    for key, name in (("ArrowRight", "Compare"), ("ArrowRight", "Browse"), ("ArrowLeft", "Compare"),
                      ("ArrowLeft", "Search")):
        before = page.evaluate(FOCUS_STATE)
        with rerun(page):
            page.keyboard.press(key)
        tab = page.get_by_role("tab", name=name)
        expect(tab).to_have_attribute("aria-selected", "true")
        assert focus_settled(page, before).endswith(" done"), name
        expect(tab).to_be_focused()
    page.close()


@pytest.mark.browser
def test_an_item_moved_down_in_the_pack_keeps_the_focus_on_its_button(server, browser):
    page = new_page(browser)
    open_app(page, server)
    ask(page, PAY)
    adds = page.locator("[data-testid=stMain]").get_by_role("button", name=re.compile(r"^Add to pack: "))
    first = adds.nth(0).inner_text().split("Add to pack: ", 1)[1].strip()
    for n in (1, 2):
        with rerun(page):
            adds.nth(0).click()  # the first Add button still offered: it becomes "In your pack"
        expect(page.locator("[data-testid=stSidebar]")).to_contain_text(f"Discussion pack: {n} passage")
    with rerun(page):
        page.get_by_role("tab", name="Pack").click()
    down = page.get_by_role("button", name=f"Down: {first}")
    before = page.evaluate(FOCUS_STATE)
    down.focus()
    with rerun(page):
        page.keyboard.press("Enter")
    assert focus_settled(page, before).endswith(" done")
    expect(down).to_be_focused()  # the same item's button, now second and last
    expect(down).to_have_attribute("aria-disabled", "true")
    expect(page.get_by_role("button", name=f"Up: {first}")).to_be_enabled()  # it moved: no longer first
    page.close()
