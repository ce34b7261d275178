"""Issue #7 in the page: injected markup stays text, sessions stay apart, odd queries never crash.

The real app runs under `streamlit run` on a library of the seed plus a document (and its
.meta.json) whose questions, answers, title, event and speaker names carry injection payloads.
Headless Chromium then checks what a reader's browser would do with them: no dialog opens, no
element a payload describes exists, a flag payloads try to set stays unset, and each payload's
literal text is on the page. Screenshots go to tests/artifacts/security-*.png. Every wait is on the
page's state (see tests/browser_util.py), never on a fixed time.
"""
from __future__ import annotations

import asyncio
import json
import re
import threading
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest
from playwright.sync_api import expect

from tests.browser_util import (ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, CHROMIUM_MISSING, IDLE, LAPTOP, TWO_FRAMES,
                                events_flushed, open_app, rerun, run_ended, screenshot, settle, streamlit_server,
                                watch_runs)
from tests.conftest import seed_plus

pytestmark = pytest.mark.browser

TIMEOUT_MS = 60_000

if not CHROMIUM.exists():
    pytest.skip(CHROMIUM_MISSING, allow_module_level=True)

# -- the payloads --------------------------------------------------------------------------------
# Each must reach the page as the characters typed. None may contain a speaker tag (2-4 capitals
# and a colon) or start a line with a number, or the parser would read it as structure.
SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
IMG_FLAG = '<img src=x onerror="window.__pwned=1">'
SVG = "<svg onload=alert(1)>"
SVG_FLAG = "<svg/onload=window.__pwned=1>"
A_JS = '<a href="javascript:alert(1)">x</a>'
BARE_JS = "javascript:alert(1)"
MD_LINK = "[click](javascript:alert(1))"
MD_IMAGE = "![x](https://example.invalid/x.png)"
MD_IMAGE_ONERROR = "![x](x onerror=alert(1))"
IFRAME = "<iframe src=javascript:alert(1)></iframe>"
BREAKOUT = '"><script>alert(1)</script>'
TEMPLATE = "{{7*7}}"
TEMPLATE_JS = "${7*7}"
LATEX = "$\\alert{x}$"
LATEX_HREF = "$$\\href{javascript:alert(1)}{click}$$"
STYLED = ":red[styled]"
ENTITIES = "&lt;script&gt;alert(1)&lt;/script&gt;"
STYLE = "<style>body{display:none}</style>"
DETAILS = "<details open ontoggle=alert(1)>details</details>"
AUTOFOCUS = "<input autofocus onfocus=alert(1)>"
MUTATION = "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>"
OBJECT = '<object data="javascript:alert(1)"></object>'
DATA_LINK = '<a href="data:text/html,<script>alert(1)</script>">d</a>'
AUTOLINK = "<javascript:alert(1)>"
MARQUEE = "<marquee onstart=alert(1)>news</marquee>"
MD_MIX = "**bold** _em_ `code` ~~strike~~ :material/warning:"

PAYLOADS = [SCRIPT, IMG, IMG_FLAG, SVG, SVG_FLAG, A_JS, BARE_JS, MD_LINK, MD_IMAGE, MD_IMAGE_ONERROR, IFRAME,
            BREAKOUT, TEMPLATE, TEMPLATE_JS, LATEX, LATEX_HREF, STYLED, ENTITIES, STYLE, DETAILS, AUTOFOCUS,
            MUTATION, OBJECT, DATA_LINK, AUTOLINK, MARQUEE, MD_MIX]

TRAP = "Panel logistics " + SCRIPT + " " + STYLED
TRAP_DOC = f"""{TRAP}

# Question Answer

1 How should hospital car park charges be refunded for volunteer panel members? {SCRIPT} {IMG}

ZQ: Car park charges for volunteers should be refunded the same day {IMG_FLAG} from petty cash, with a
receipt. {SVG} Keep a simple parking log {A_JS} at reception.
XW: We refund car park charges monthly {BREAKOUT} and give volunteers a parking permit {BARE_JS} too.

2 Which biscuits and refreshments should we buy for the panel meetings? {MD_LINK} {MD_IMAGE}

ZQ: Buy biscuits, fruit and tea for panel meetings {MD_IMAGE_ONERROR} and ask about allergies. {IFRAME}
Refreshments show the panel is valued {TEMPLATE} and {TEMPLATE_JS} every time.
XW: Refreshments matter: {LATEX} and {LATEX_HREF} and {STYLED} biscuits and sandwiches for the panel.

3 How do we book accessible meeting rooms with hearing loops for the panel? {ENTITIES}

ZQ: Book accessible meeting rooms with hearing loops early {STYLE} and check step-free access. {DETAILS}
XW: Hearing loops must be tested before the meeting room booking {AUTOFOCUS} and {MUTATION} accessible rooms.

4 What should the panel newsletter say about upcoming meetings? {OBJECT} {SVG_FLAG}

ZQ: The newsletter should list meeting dates {DATA_LINK} and the topics. {AUTOLINK} for the newsletter.
XW: A newsletter with photos {MD_MIX} {MARQUEE} keeps everyone informed about meetings.
"""
TRAP_SOURCE = "panel-logistics"
# Display names reach widget labels (the speaker pills, Compare's expanders), which Streamlit reads
# as Markdown. No image here: it would be fetched by every page (see the label test at the end).
TRAP_NAMES = {"ZQ": "Zed " + SVG, "XW": "Xa " + STYLED + " " + MD_LINK}
# Bare addresses, which Markdown would make links of.
BARE_WWW = "www.evil.example/login"
BARE_EMAIL = "admin@evil.example"
TRAP_META = {"event": IMG_FLAG + " " + MD_LINK + " " + BARE_WWW, "date": LATEX,
             "speakers": {"ZQ": {"name": TRAP_NAMES["ZQ"], "role": A_JS},
                          "XW": {"name": TRAP_NAMES["XW"], "role": "write to " + BARE_EMAIL}}}

# Queries that surface the payload passages: (query, payloads its result cards must show as text).
TRAP_QUERIES = [
    (f"car park charges refunded for volunteers {SCRIPT}", [SCRIPT, IMG, IMG_FLAG, BREAKOUT]),
    (f"biscuits and refreshments for panel meetings {MD_LINK} {STYLED}", [MD_LINK, MD_IMAGE, TEMPLATE, LATEX]),
    (f"accessible meeting rooms with hearing loops {ENTITIES}", [ENTITIES, STYLE, AUTOFOCUS]),
    (f"panel newsletter about upcoming meetings {DETAILS} {TEMPLATE}", [OBJECT, DATA_LINK, MARQUEE]),
]

# Anything a payload would create if it were parsed as markup. Streamlit's own <style>, <svg> and
# <iframe>-free page has none of these attributes, so they are searched in the whole document.
PAYLOAD_ELEMENTS = ", ".join([
    "img[src='x']", "img[src^='x ']", "img[src*='example.invalid']", "svg[onload]", "iframe[src^='javascript' i]",
    "a[href^='javascript' i]", "a[href^='data:' i]", "details[ontoggle]", "input[onfocus]", "object[data]",
    "marquee", "math", "mglyph", "[onerror]", "[onload]", "[ontoggle]", "[onfocus]", "[onstart]",
])

# -- the app and the browser ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def trap_library(tmp_path_factory, built_index, embedder):
    """(corpus, index): the seed plus the payload document and its metadata, built with the real model."""
    return seed_plus(tmp_path_factory.mktemp("trap"), built_index, embedder,
                     {f"{TRAP_SOURCE}.txt": TRAP_DOC, f"{TRAP_SOURCE}.meta.json": json.dumps(TRAP_META)})


SERVER_LOG = ARTIFACTS / "streamlit-security.log"


@pytest.fixture(scope="module")
def server(trap_library):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with streamlit_server(*trap_library, SERVER_LOG) as url:
        yield url


class Session:
    """One browser context (its own Streamlit session) and every dialog it was asked to show."""

    def __init__(self, browser):
        self.context = browser.new_context(viewport=LAPTOP)
        # Only the app: a payload that reached the network (example.invalid, data:) is refused and noted.
        self.requests: list[str] = []
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.set_default_timeout(TIMEOUT_MS)
        self.dialogs: list[str] = []
        self.page.on("dialog", self._on_dialog)
        watch_runs(self.page)

    def _route(self, route):
        url = route.request.url
        if url.startswith(("http://127.0.0.1:", "ws://127.0.0.1:")):
            route.continue_()
        else:
            self.requests.append(url)
            route.abort()

    def _on_dialog(self, dialog):
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def close(self):
        self.context.close()


@pytest.fixture
def session(browser):
    s = Session(browser)
    yield s
    s.close()


def ask(page, text: str) -> None:
    """Type a question, press Enter, wait until its run is drawn; the caption or warning repeats it."""
    box = page.get_by_label("Ask the panel")
    box.fill(text)
    with rerun(page):
        box.press("Enter")
    page.wait_for_function("q => [...document.querySelectorAll("
                           "'[data-testid=stCaptionContainer], [data-testid=stAlert]')]"
                           ".some(e => e.innerText.includes(q))", arg=" ".join(text.split())[:40])


def open_compare(page) -> None:
    """Switch to Compare; wait until its run is drawn: the view in the address bar (the run's last
    step), and question rows or the low-confidence warning."""
    tab = page.get_by_role("tab", name="Compare")
    with rerun(page):
        tab.click()
    expect(tab).to_have_attribute("aria-selected", "true")
    expect(page).to_have_url(re.compile(r"[?&]view=compare(&|$)"))
    page.wait_for_function("() => document.querySelector('[data-testid=stMain] .ps-question, "
                           "[data-testid=stMain] [data-testid=stAlert]')")


def open_expanders(page, summaries) -> None:
    """Click each expander's summary (no rerun: the page opens it); wait until each is open."""
    for summary in summaries:
        summary.click()
        expect(summary.locator("xpath=ancestor::details[1]")).to_have_attribute("open", "")


def shot(page, name: str) -> Path:
    """A screenshot of the whole main area to tests/artifacts/security-<name>.png."""
    return screenshot(page, ARTIFACTS / f"security-{name}.png", full=True)


def main_text(page) -> str:
    """What a reader sees in the main area, whitespace collapsed (the page shows runs of spaces as one),
    without the invisible word joiners that keep bare addresses from becoming links."""
    return " ".join(page.locator("[data-testid=stMain]").inner_text().replace("\u2060", "").split())


def assert_inert(s: Session, shown: list[str]) -> None:
    """Nothing a payload describes ran or was built, and each of ``shown`` is on the page as text."""
    page = s.page
    events_flushed(page)  # any onerror/onload/ontoggle a payload carried has had its chance to run
    assert s.dialogs == [], s.dialogs
    assert page.evaluate("() => window.__pwned") is None
    assert page.locator(PAYLOAD_ELEMENTS).count() == 0, page.locator(PAYLOAD_ELEMENTS).evaluate_all(
        "els => els.map(e => e.outerHTML.slice(0, 200))")
    assert page.evaluate("() => [...document.querySelectorAll('style')].some(s => s.textContent.includes("
                         "'body{display:none}'))") is False
    assert page.evaluate("() => [...document.scripts].some(s => s.textContent.includes('alert(1)'))") is False
    assert page.evaluate("() => getComputedStyle(document.body).display") != "none"
    assert page.locator("[data-testid=stMain] .katex").count() == 0  # no LaTeX was typeset
    assert not any("example.invalid" in u or u.startswith("data:") for u in s.requests), s.requests
    text = main_text(page)
    missing = [p for p in shown if " ".join(p.split()) not in text]
    assert not missing, f"not shown as text: {missing}"
    assert_no_error(page)


def assert_no_error(page) -> None:
    assert page.locator("[data-testid=stException]").count() == 0
    assert page.get_by_text("Traceback", exact=False).count() == 0


# -- injection -----------------------------------------------------------------------------------
@pytest.mark.parametrize("query, shown", TRAP_QUERIES, ids=["car-park", "biscuits", "rooms", "newsletter"])
def test_payloads_in_search_results_stay_text(server, session, query, shown):
    page = session.page
    open_app(page, server)
    ask(page, query)
    cards = page.locator(".ps-card")
    assert cards.count() >= 1
    assert page.get_by_text(TRAP, exact=False).first.is_visible()  # the document's title on a card
    # the whole answers hold the rest of the payloads
    open_expanders(page, page.get_by_text("Whole answer to Q", exact=False).all()[:2])
    assert_inert(session, [query, *shown])
    if query == TRAP_QUERIES[0][0]:
        assert page.get_by_text(SCRIPT, exact=False).first.is_visible()
        shot(page, "search")


def test_payloads_in_browse_stay_text(server, session):
    """Browse shows every question of the document with its whole answers: every payload at once."""
    page = session.page
    open_app(page, f"{server}/?view=browse&doc={TRAP_SOURCE}")
    expect(page.locator(".ps-question")).to_have_count(4)
    shot(page, "browse")
    assert_inert(session, [*PAYLOADS, TRAP, *TRAP_NAMES.values(), TRAP_META["event"], LATEX])


def test_payloads_in_a_browse_question_link_stay_text(server, session):
    page = session.page
    open_app(page, f"{server}/?view=browse&doc={TRAP_SOURCE}&q=2")
    expect(page.locator(".ps-question")).to_have_count(1)
    assert_inert(session, [MD_LINK, MD_IMAGE, MD_IMAGE_ONERROR, IFRAME, TEMPLATE, LATEX, LATEX_HREF, STYLED])


@pytest.mark.parametrize("query, shown", TRAP_QUERIES[:2], ids=["car-park", "biscuits"])
def test_payloads_in_compare_stay_text(server, session, query, shown):
    page = session.page
    open_app(page, server)
    ask(page, query)
    open_compare(page)
    expect(page.locator("[data-testid=stMain] .ps-question").first).to_be_visible()
    assert "view=compare" in page.url
    assert page.get_by_text(TRAP_NAMES["ZQ"], exact=False).first.is_visible()  # a badge
    shot(page, f"compare-{query.split()[0]}")
    assert_inert(session, [query, *shown, *TRAP_NAMES.values()])


# Every payload is also a query on its own, three to a query: nothing in the corpus answers markup,
# so these mostly take the low-confidence path, whose warning repeats the query.
PAYLOAD_QUERIES = [" ".join(PAYLOADS[i:i + 3]) for i in range(0, len(PAYLOADS), 3)]


@pytest.mark.parametrize("part", range(3), ids=["first", "second", "third"])
def test_payloads_as_the_query_stay_text(server, session, part):
    page = session.page
    open_app(page, server)
    queries = PAYLOAD_QUERIES[part::3]
    for query in queries:
        ask(page, query)
        assert_inert(session, [query])
    open_compare(page)
    assert_inert(session, [queries[-1]])


def test_payloads_in_the_link_stay_text(server, session):
    """Parameters of a shared link are echoed in "Parts of the link were ignored": as text."""
    params = f"view={quote(SCRIPT)}&speaker={quote(IMG_FLAG)}&k={quote(MD_LINK)}&q={quote(STYLED)}" \
             f"&doc={quote(SVG)}&query={quote(DETAILS + ' car park charges')}"
    page = session.page
    open_app(page, f"{server}/?{params}")
    expect(page.get_by_text("Parts of the link were ignored", exact=False)).to_be_visible()
    shot(page, "link")
    assert_inert(session, [SCRIPT, IMG_FLAG, MD_LINK, STYLED, SVG, DETAILS])


def assert_no_address_links(page) -> None:
    links = page.locator("[data-testid=stMain] a, [data-testid=stSidebar] a").evaluate_all(
        "els => els.map(e => e.getAttribute('href') || '')")
    assert not [href for href in links if "evil" in href], links


@pytest.mark.parametrize("view", ["search", "compare", "browse"])
def test_bare_addresses_in_a_link_and_the_library_are_not_links(server, session, view):
    """Issue #13: `escape` left www.x and a@b alone, and Markdown made links of them."""
    query = f"meeting dates moved, see {BARE_WWW} or write to {BARE_EMAIL}"
    page = session.page
    open_app(page, f"{server}/?view={view}&query={quote_plus(query)}&doc={TRAP_SOURCE}")
    page.wait_for_function("() => document.querySelector('[data-testid=stMain] .ps-card, [data-testid=stMain] "
                           ".ps-question, [data-testid=stMain] [data-testid=stAlert]')")
    open_expanders(page, page.locator("[data-testid=stMain] [data-testid=stExpander] summary").all()[:4])
    shot(page, f"bare-address-{view}")
    assert_no_address_links(page)
    text = main_text(page)
    assert BARE_WWW in text or view == "browse"
    assert_no_error(page)


# -- several sessions at once --------------------------------------------------------------------
SESSION_QUERIES = [
    ("how do we pay experts by experience", "Q9"),
    ("create a safe space for staff and service users", "Q15"),
    ("what training do you recommend for staff", "Q8"),
    ("story telling qualitative data", "Q2"),
]


async def _one_session(browser, url: str, order: list[tuple[str, str]]) -> list[dict]:
    """One context asks its queries in turn; returns what it saw after each."""
    context = await browser.new_context(viewport=LAPTOP)
    await context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(
        ("http://127.0.0.1:", "ws://127.0.0.1:")) else route.abort())
    page = await context.new_page()
    page.set_default_timeout(90_000)
    dialogs: list[str] = []
    page.on("dialog", lambda d: dialogs.append(d.message))
    seen = []
    try:
        async with page.expect_websocket(lambda ws: "/_stcore/stream" in ws.url) as socket:
            await page.goto(url)
        ws = await socket.value
        await page.wait_for_selector("h1")
        for query, _ in order:
            box = page.get_by_label("Ask the panel")
            await box.fill(query)
            # wait for the end of the run Enter starts (see tests/browser_util.py), then for the page
            async with ws.expect_event("framereceived", predicate=run_ended, timeout=90_000):
                await box.press("Enter")
            await page.evaluate(TWO_FRAMES)
            await page.wait_for_function(IDLE)
            await page.wait_for_function(
                "q => [...document.querySelectorAll('[data-testid=stCaptionContainer]')].some("
                "e => e.innerText.includes(q))", arg=query)
            # the address bar follows at the end of the run
            await page.wait_for_url(lambda u, q=query: f"query={quote_plus(q)}" in u, timeout=15_000)
            card = page.locator(".ps-card").first
            seen.append({
                "query": query,
                "box": await box.input_value(),
                "top": (await card.locator(".ps-source").inner_text()).split(" ")[0],
                "captions": await page.locator("[data-testid=stCaptionContainer]").all_inner_texts(),
                "url": page.url,
                "errors": await page.locator("[data-testid=stException]").count(),
                "dialogs": list(dialogs),
            })
    finally:
        await context.close()
    return seen


async def _sessions_at_once(url: str, orders: list[list[tuple[str, str]]]) -> list[list[dict]]:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            return await asyncio.wait_for(
                asyncio.gather(*(_one_session(browser, url, order) for order in orders)), timeout=150)
        finally:
            await browser.close()


def run_in_thread(coro_factory):
    """Run an asyncio coroutine in its own thread (this thread's sync Playwright owns an event loop)."""
    out: dict = {}

    def target():
        try:
            out["value"] = asyncio.run(coro_factory())
        except BaseException as err:  # re-raised in the test's thread
            out["error"] = err

    t = threading.Thread(target=target, daemon=True)
    t.start()
    t.join(timeout=180)
    assert not t.is_alive(), "the parallel sessions did not finish in 180 s"
    if "error" in out:
        raise out["error"]
    return out["value"]


def test_four_sessions_at_once_each_see_their_own_results(server):
    """Four contexts (four Streamlit sessions) search at the same time, twice, in different orders."""
    orders = [[SESSION_QUERIES[i], SESSION_QUERIES[(i + 1) % 4]] for i in range(4)]
    results = run_in_thread(lambda: _sessions_at_once(server, orders))
    for order, seen in zip(orders, results):
        assert len(seen) == len(order)
        for (query, top), got in zip(order, seen):
            assert got["box"] == query, got
            assert got["top"] == top, got
            assert got["errors"] == 0 and got["dialogs"] == [], got
            assert f"query={quote_plus(query)}" in got["url"], got
            mine = [c for c in got["captions"] if "best match first" in c]
            assert len(mine) == 1 and f"“{query}”" in mine[0], got  # no other session's query
            others = [q for q, _ in SESSION_QUERIES if q != query]
            assert not any(o in c for o in others for c in got["captions"]), got


# -- odd queries ---------------------------------------------------------------------------------
ODD_QUERIES = {
    "empty": "",
    "whitespace": " \t   ",
    "emoji": "🙂🎉 how do we pay experts by experience? 👩🏽‍⚕️",
    "right-to-left": "كيف ندفع للخبراء بالتجربة؟ איך משלמים למומחים",
    "mixed-direction": "pay \u202eexperts\u202c by experience \u200f?",
    "control-characters": "pay\x07 experts\x1b[31m by\x0b experience\x7f \u200b\ufeff",
    "nul": "how do we pay\x00 experts",
    "long-word": "x" * 600,
}


@pytest.mark.parametrize("name", list(ODD_QUERIES))
def test_odd_query_typed_shows_no_traceback(server, session, name):
    page = session.page
    open_app(page, server)
    box = page.get_by_label("Ask the panel")
    box.fill(ODD_QUERIES[name])
    if ODD_QUERIES[name]:  # a changed value: Enter submits it and the page reruns
        with rerun(page):
            box.press("Enter")
    else:  # the box was empty already: Enter submits nothing and nothing runs
        box.press("Enter")
        settle(page)
    assert_no_error(page)
    assert page.locator("h1").is_visible()
    assert session.dialogs == []
    if not ODD_QUERIES[name].strip():
        assert page.get_by_text("Type a question above", exact=False).first.is_visible()
    if name == "emoji":
        assert page.locator(".ps-card").first.locator(".ps-source").inner_text().startswith("Q9")


def test_a_pasted_20000_character_query_is_cut_not_dropped(server, session):
    page = session.page
    open_app(page, server)
    long = ("how do we pay experts by experience " * 600)[:20_000]
    box = page.get_by_label("Ask the panel")
    box.click()
    page.keyboard.insert_text(long)  # what a paste does: one insertion
    with rerun(page):
        box.press("Enter")
    assert_no_error(page)
    # the pasted question must not vanish without a word: the box keeps its first 500 characters
    expect(box).to_have_value(re.compile(r"^[\s\S]{1,500}$"))
    expect(page.locator(".ps-card").first).to_be_visible()


def test_the_box_keeps_500_characters_at_most_and_says_so(server, session):
    page = session.page
    open_app(page, server)
    box = page.get_by_label("Ask the panel")
    box.fill("how do we pay experts by experience " * 13)  # 468 characters: under the limit
    with rerun(page):
        box.press("Enter")
    expect(page.locator(".ps-card").first).to_be_visible()
    box.press("End")
    page.keyboard.type("x" * 40)  # typed past the limit: the query is cut when it is submitted
    with rerun(page):
        box.press("Enter")
    expect(box).to_have_value(re.compile(r"^[\s\S]{500}$"))
    expect(page.get_by_text("was cut to its first 500 characters", exact=False).first).to_be_visible()
    assert_no_error(page)


def test_a_20000_character_query_in_a_link_is_cut_with_a_notice(server, session):
    page = session.page
    long = ("how do we pay experts by experience " * 600)[:20_000]
    open_app(page, f"{server}/?query={quote(long)}")
    expect(page.get_by_text("the query was cut to its first 500 characters", exact=False)).to_be_visible()
    expect(page.locator(".ps-card").first).to_be_visible()
    assert_no_error(page)
    shot(page, "long-query-link")


@pytest.mark.parametrize("name", ["whitespace", "right-to-left", "control-characters", "nul"])
def test_odd_query_in_a_compare_link_shows_no_traceback(server, session, name):
    page = session.page
    open_app(page, f"{server}/?query={quote(ODD_QUERIES[name])}&view=compare")
    expect(page.get_by_role("tab", name="Compare")).to_have_attribute("aria-selected", "true")
    assert_no_error(page)
    assert page.locator("h1").is_visible()
    assert session.dialogs == []


# -- Markdown in widget labels -------------------------------------------------------------------
# Display names come from a .meta.json anyone can upload; widget labels (pills, expanders) are
# Markdown to Streamlit, so the app escapes the names before they get there.


def test_display_names_in_widget_labels_stay_text(server, session):
    page = session.page
    open_app(page, server)
    ask(page, TRAP_QUERIES[0][0])
    open_compare(page)
    # The speaker pills name every speaker; each Add button in Compare names the one it adds from
    # ("Add to pack: <name>'s marked passage on Q1").
    pills = page.locator("[data-testid=stSidebar]").get_by_role("toolbar", name="Speakers")
    adds = page.locator("[data-testid=stMain] button").filter(has_text="Add to pack:")
    expect(adds.first).to_be_visible()
    pills_text = " ".join(pills.inner_text().split())
    adds_text = [" ".join(text.split()) for text in adds.all_inner_texts()]
    marked = "img, a, .stMarkdownColoredText, strong, em, code, .katex"
    problems = [f"{name!r} not in {pills_text!r}" for name in TRAP_NAMES.values() if name not in pills_text]
    problems += [f"{name!r} on no Add button: {adds_text}" for name in TRAP_NAMES.values()
                 if not any(name in text for text in adds_text)]
    problems += pills.locator(marked).evaluate_all("els => els.map(e => e.outerHTML)")
    problems += adds.locator(marked).evaluate_all("els => els.map(e => e.outerHTML)")
    assert not problems, problems


def test_the_server_logged_no_traceback(server, browser):
    """Run last in this file: whatever the pages above did, the server itself raised nothing."""
    s = Session(browser)
    try:
        open_app(s.page, server)
    finally:
        s.close()
    assert "Traceback" not in SERVER_LOG.read_text(encoding="utf-8", errors="replace")
