"""The Word handout as a reader sees it: laid out by LibreOffice, turned into PNG pages.

Needs ``soffice`` (Debian: libreoffice-writer-nogui) and ``pdftoppm``/``pdftotext`` (poppler-utils);
skipped without them. The first page is copied to tests/artifacts/handout-page-1.png to look at.
"""
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest

from panelsearch import pack
from panelsearch.handout import to_docx
from panelsearch.corpus import load_document
from panelsearch.glossary import build_glossary
from panelsearch.models import Speaker
from panelsearch.passages import document_passages

pytestmark = pytest.mark.slow

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
TOOLS = ("soffice", "pdftoppm", "pdftotext")


@pytest.fixture(scope="module")
def rendered(seed_path, tmp_path_factory):
    """(docx path, pdf text, page PNGs) of a 3-item handout made from the seed and its metadata."""
    missing = [t for t in TOOLS if shutil.which(t) is None]
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed (apt-get install libreoffice-writer-nogui poppler-utils)")
    seed_doc = load_document(seed_path)  # with its .meta.json: the title
    passages = {p.passage_id: p for p in document_passages(seed_doc)}
    title = seed_doc.title
    chosen = [
        (f"{seed_doc.source}:q09:AC:1", "Our trust pays EBEs by the hour; compare.", ""),
        (f"{seed_doc.source}:q05:SK:1", "", "Which of these barriers do we meet, and who could help?"),
        (f"{seed_doc.source}:q01:AC:1", "", ""),
    ]
    items = [pack.PackItem.from_passage(passages[pid], title) for pid, _, _ in chosen]
    items = [pack.PackItem(**{**vars(i), "note": note, "prompt": prompt}) for i, (_, note, prompt) in zip(items, chosen)]
    speakers = {(seed_doc.source, "AC"): Speaker("AC", role="Lived experience partner")}
    glossary = build_glossary([p.text for p in passages.values()], only_present=False)

    work = tmp_path_factory.mktemp("handout")
    handout = work / "handout.docx"
    handout.write_bytes(to_docx(items, "Ward 4 team meeting", date(2026, 11, 26), speakers=speakers,
                                     glossary=glossary))
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


def test_handout_lays_out_on_a_few_a4_pages(rendered):
    _, _, pages = rendered
    assert 1 <= len(pages) <= 3
    from PIL import Image

    with Image.open(pages[0]) as first:
        width, height = first.size
        assert abs(height / width - 29.7 / 21.0) < 0.01  # A4, portrait
        grey = first.convert("L")
        assert grey.getextrema()[0] < 100  # there is ink on it, not a blank page


def test_handout_reads_as_a_handout(rendered):
    _, text, _ = rendered
    flat = " ".join(text.split())
    for part in ("Ward 4 team meeting", "Prepared 26 November 2026", "3 passages from", "Who spoke",
                 "Panelist AC", "Lived experience partner", "Panelist SK",
                 "1. Are Experts by Experience team members", "2. The reality of minimal staffing",
                 "Note: Our trust pays EBEs by the hour; compare.",
                 "To discuss: Which of these barriers do we meet, and who could help?",
                 "To discuss: How would we answer “For services not used to co-production",
                 "Notes", "Glossary", "quality improvement"):
        assert part in flat, part
    assert flat.count("Co-production in healthcare quality improvement") == 1  # the source, named once
    assert "page 1" in flat  # the footer's page number, counted by the layout
