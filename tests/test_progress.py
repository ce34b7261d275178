"""Progress on long work (issue #11): a build reports documents read and texts embedded."""
import os
import subprocess
import sys

from panelsearch.cli_output import progress_bars
from panelsearch.embed import HashEmbedder
from panelsearch.index import EMBED_BATCH, build_index
from tests.conftest import ROOT, SEED


def test_a_build_reports_documents_read_then_texts_embedded(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for n in range(3):
        (corpus / f"copy{n}-{SEED.name}").write_text(SEED.read_text().replace("Experts", f"Experts{n}"))
    seen = []
    manifest = build_index(corpus, tmp_path / "index", HashEmbedder(32), progress=lambda *a: seen.append(a))
    reads = [s for s in seen if s[0] == "read"]
    embeds = [s for s in seen if s[0] == "embed"]
    assert reads == [("read", 1, 3), ("read", 2, 3), ("read", 3, 3)]
    total = embeds[-1][2]  # distinct texts: the copies share most of theirs
    assert embeds[-1] == ("embed", total, total) and len(embeds) == -(-total // EMBED_BATCH)
    assert manifest["embeddings"]["passages_embedded"] + manifest["embeddings"]["questions_embedded"] >= total > 0
    assert [d for _, d, _ in embeds] == sorted(d for _, d, _ in embeds)  # it only moves forward


def test_no_bars_when_quiet_or_piped(tmp_path):
    assert progress_bars(quiet=True) is None
    out = subprocess.run([sys.executable, "-m", "panelsearch", "build", "--corpus", ROOT / "corpus", "--index",
                          tmp_path / "index", "--model", "hash-32"], capture_output=True, text=True, cwd=ROOT,
                         env={**os.environ, "HF_HUB_OFFLINE": "1"}, timeout=300)
    assert out.returncode == 0 and "%|" not in out.stderr and out.stderr.strip() == ""
