"""The handout as a reader sees it, with where the panelists agree: the Word file laid out by
LibreOffice and turned into PNG pages, and the Markdown rendered to HTML (markdown-it-py, CommonMark)
and photographed in Chromium at A4 width.

Needs ``soffice`` (Debian: libreoffice-writer-nogui) and ``pdftoppm``/``pdftotext`` (poppler-utils)
for Word, and /usr/bin/chromium for Markdown; each part is skipped without its tools. The pictures
go to tests/artifacts/ (handout-page-<n>.png, handout-md.png and handout-md.html) to look at.
"""
import re
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest

from panelsearch import pack
from panelsearch.agree import agreements
from panelsearch.corpus import load_document
from panelsearch.glossary import build_glossary
from panelsearch.handout import AGREE_HEADING, to_docx, to_markdown
from panelsearch.models import Speaker
from panelsearch.passages import document_passages

pytestmark = pytest.mark.slow

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
TOOLS = ("soffice", "pdftoppm", "pdftotext")
TITLE = "Ward 4 team meeting"
DAY = date(2026, 11, 26)
A4_PX = 794  # 210 mm at 96 px per inch

# A reader's Markdown viewer, roughly: GitHub's look, on an A4-wide page with A4's margins.
PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title><style>
body {{margin: 0; background: #fff; color: #1f2937; font: 15px/1.5 Carlito, "Liberation Sans", sans-serif}}
main {{box-sizing: border-box; width: 210mm; padding: 18mm 22mm}}
h1 {{font-size: 28px; margin: 0 0 .3em}} h2 {{font-size: 19px; color: #1d4ed8; margin: 1.4em 0 .4em}}
h3 {{font-size: 16px; color: #1d4ed8; margin: 1.1em 0 .3em}}
blockquote {{margin: .6em 0; padding: .5em 1em; border-left: 5px solid #1d4ed8; background: #eef2f7;
             font-family: Gelasio, "DejaVu Serif", serif}}
hr {{border: 0; border-bottom: 1px solid #a0a8b4; margin: 1.6em 0 0}}
ul {{padding-left: 1.4em}} li {{margin: .25em 0}}
</style></head><body><main>
{body}</main></body></html>
"""


@pytest.fixture(scope="module")
def handout_parts(seed_path, searcher):
    """(items, options) of a 4-item handout made from the seed and its metadata, with the agreement
    groups of the items' questions two panelists answered (Q2 has a pair, Q5 none)."""
    seed_doc = load_document(seed_path)  # with its .meta.json: the title
    passages = {p.passage_id: p for p in document_passages(seed_doc)}
    chosen = [
        (f"{seed_doc.source}:q09:AC:1", "Our trust pays EBEs by the hour; compare.", ""),
        (f"{seed_doc.source}:q05:SK:1", "", "Which of these barriers do we meet, and who could help?"),
        (f"{seed_doc.source}:q01:AC:1", "", ""),
        (f"{seed_doc.source}:q02:SK:1", "", ""),
    ]
    items = [pack.PackItem.from_passage(passages[pid], seed_doc.title) for pid, _, _ in chosen]
    items = [pack.PackItem(**{**vars(i), "note": note, "prompt": prompt}) for i, (_, note, prompt) in zip(items, chosen)]
    groups = agreements(pack.several_answered(items, searcher.catalog), searcher.embedder)
    assert [(a.question_number, bool(a.both)) for a in groups] == [(5, False), (2, True)]
    options = {"speakers": {(seed_doc.source, "AC"): Speaker("AC", role="Lived experience partner")},
               "glossary": build_glossary([p.text for p in passages.values()], only_present=False),
               "agreements": groups}
    return items, options


# -- Word --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def rendered(handout_parts, tmp_path_factory):
    """(docx path, pdf text, page PNGs) of the handout, laid out by LibreOffice."""
    missing = [t for t in TOOLS if shutil.which(t) is None]
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed (apt-get install libreoffice-writer-nogui poppler-utils)")
    items, options = handout_parts
    work = tmp_path_factory.mktemp("handout")
    handout = work / "handout.docx"
    handout.write_bytes(to_docx(items, TITLE, DAY, **options))
    # A profile of its own: another soffice running (or a stale lock) does not swallow the conversion.
    profile = f"-env:UserInstallation=file://{work / 'profile'}"
    subprocess.run(["soffice", profile, "--headless", "--convert-to", "pdf", "--outdir", str(work), str(handout)],
                   check=True, capture_output=True, timeout=300)
    pdf = work / "handout.pdf"
    assert pdf.exists(), "LibreOffice wrote no PDF"
    subprocess.run(["pdftoppm", "-png", "-r", "80", str(pdf), str(work / "page")], check=True, timeout=120)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True,
                          text=True, timeout=60).stdout
    pages = sorted(work.glob("page-*.png"))
    ARTIFACTS.mkdir(exist_ok=True)
    for old in ARTIFACTS.glob("handout-page-*.png"):  # a longer handout of an earlier run
        old.unlink()
    for n, page in enumerate(pages, start=1):
        shutil.copy(page, ARTIFACTS / f"handout-page-{n}.png")
    return handout, text, pages


def inked(png: Path) -> bool:
    """Whether a picture has dark ink on it (text), not just a blank page."""
    from PIL import Image

    with Image.open(png) as picture:
        return picture.convert("L").getextrema()[0] < 100


def test_handout_lays_out_on_a_few_a4_pages(rendered):
    _, _, pages = rendered
    assert 2 <= len(pages) <= 4  # four passages, one with where they agree
    from PIL import Image

    with Image.open(pages[0]) as first:
        width, height = first.size
        assert abs(height / width - 29.7 / 21.0) < 0.01  # A4, portrait
    assert all(inked(page) for page in pages)  # no blank page


def test_handout_reads_as_a_handout(rendered):
    _, text, _ = rendered
    flat = " ".join(text.split())
    for part in (TITLE, "Prepared 26 November 2026", "4 passages from", "Who spoke",
                 "Panelist AC", "Lived experience partner", "Panelist SK",
                 "1. Are Experts by Experience team members", "2. The reality of minimal staffing",
                 "Note: Our trust pays EBEs by the hour; compare.",
                 "To discuss: Which of these barriers do we meet, and who could help?",
                 "To discuss: How would we answer “For services not used to co-production",
                 "Notes", "Glossary", "quality improvement"):
        assert part in flat, part
    assert flat.count("Co-production in healthcare quality improvement") == 1  # the source, named once
    assert "page 1" in flat  # the footer's page number, counted by the layout


def test_handout_quotes_where_they_agree(rendered):
    _, text, _ = rendered
    flat = " ".join(text.split())
    assert flat.count(AGREE_HEADING) == 2  # Q5 and Q2, each once
    q5 = flat[flat.index("2. The reality of minimal staffing"):flat.index("3. ")]
    assert "No sentence of one answer makes the same point as a sentence of the other." in q5
    assert "Only Panelist SK said" in q5 and "Only Panelist AC said" in q5
    q2 = text[text.index("4. "):]
    # the pair side by side: the names on one line, then each sentence in its column
    pair = re.search(r"^ *Panelist SK {2,}Panelist AC *\n *“Quotes, opinions.* {2,}“Use quotations", q2, re.M)
    assert pair, q2
    flat_q2 = " ".join(q2.split())
    assert "Both said" in flat_q2 and "not that they disagree" in flat_q2 and "Only Panelist SK said" in flat_q2


# -- Markdown ----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def rendered_md(handout_parts, request):
    """(html, screenshot) of the Markdown handout as a Markdown viewer shows it, at A4 width."""
    from markdown_it import MarkdownIt

    from tests.browser_util import CHROMIUM, CHROMIUM_MISSING

    if not CHROMIUM.exists():
        pytest.skip(CHROMIUM_MISSING)
    items, options = handout_parts
    md = to_markdown(items, TITLE, DAY, **options)
    body = MarkdownIt("commonmark", {"html": False}).render(md)  # raw HTML stays text, as on GitHub
    ARTIFACTS.mkdir(exist_ok=True)
    page_file = ARTIFACTS / "handout-md.html"
    page_file.write_text(PAGE.format(title=TITLE, body=body), encoding="utf-8")
    page = request.getfixturevalue("browser").new_page(viewport={"width": A4_PX, "height": 1123})
    page.goto(page_file.as_uri())
    page.wait_for_function("() => document.fonts.status === 'loaded'")
    shot = ARTIFACTS / "handout-md.png"
    page.screenshot(path=str(shot), full_page=True)
    text = page.inner_text("main")
    page.close()
    return body, text, shot


@pytest.mark.browser
def test_markdown_handout_renders_with_its_sections(rendered_md):
    body, text, _ = rendered_md
    assert re.findall(r"<h1>(.*?)</h1>", body) == [TITLE]
    h2 = re.findall(r"<h2>(.*?)</h2>", body)
    assert h2[:2] == ["Who spoke", "Glossary"] and len(h2) == 6  # and one per passage
    assert re.findall(r"<h3>(.*?)</h3>", body) == [AGREE_HEADING, AGREE_HEADING]
    assert body.count("<blockquote>") == 4 and body.count("<hr />") == 4 * 4  # the quotes; ruled lines
    # A pair is one list item, its two sentences one under the other (the backslash is a line break)
    pair = re.search(r"<li><strong>Panelist SK:</strong> “Quotes.*?</li>", body, re.S).group(0)
    assert "<br />" in pair and "<strong>Panelist AC:</strong> “Use quotations" in pair
    # Nothing of the escaping shows: no backslashes or Markdown marks left in the text a reader sees
    assert "\\" not in text and "**" not in text and "> " not in text
    for part in ("Both said", "Only Panelist SK said", "Only Panelist AC said", "not that they disagree",
                 "No sentence of one answer makes the same point as a sentence of the other.",
                 "Note: Our trust pays EBEs by the hour; compare."):
        assert part in text, part


@pytest.mark.browser
def test_markdown_handout_picture_is_a_page_of_text(rendered_md):
    from PIL import Image

    _, _, shot = rendered_md
    with Image.open(shot) as picture:
        width, height = picture.size
        assert width == A4_PX and height > 2 * 1123  # a few A4 pages long
    assert inked(shot)
