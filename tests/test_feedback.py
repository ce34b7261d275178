"""Readers' feedback (issue #12): verdicts kept in the packs' SQLite file, bounded and capped, a v1
file brought up to date, two writers at once, the export for review (which `eval` reads), and how
the ranking places the marked passages; the `feedback` and `eval --feedback` commands."""
import json
import re
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from panelsearch import feedback as feedback_module
from panelsearch import store as store_module
from panelsearch.cli import build_parser, main
from panelsearch.config import QUERY_MAX_CHARS, Settings
from panelsearch.errors import UsageError
from panelsearch.evaluate import load_queries, unit_grades
from panelsearch.feedback import (HELPED, NOT_THIS, Feedback, FeedbackFull, candidates, export, format_ranks,
                                  rank_marks)
from panelsearch.store import Store
from tests.conftest import ROOT, SEED_SOURCE

PAY = "How do we pay experts by experience?"


def pid(q: int, speaker: str = "AC", part: int | str = 1, source: str = SEED_SOURCE) -> str:
    return f"{source}:q{q:02d}:{speaker}:{part}"


@pytest.fixture
def data(tmp_path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def fb(data) -> Feedback:
    return Feedback(data)


# -- the store -----------------------------------------------------------------------------------
def test_a_verdict_is_the_query_the_passage_the_verdict_and_a_utc_time_only(fb, data):
    row = fb.record(PAY, pid(9), HELPED)
    [mark] = fb.marks()
    assert (mark.id, mark.query, mark.passage_id, mark.verdict) == (row, PAY, pid(9), HELPED)
    assert mark.at.endswith("+00:00") and len(mark.at) == len("2024-01-01T00:00:00+00:00")  # UTC, to the second
    with sqlite3.connect(data / store_module.FILE_NAME) as conn:
        columns = {r[1] for r in conn.execute("PRAGMA table_info(feedback)")}
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA user_version").fetchone()[0] == store_module.SCHEMA_VERSION == 2
    assert columns == {"id", "query", "passage_id", "verdict", "at"}  # no address, session or browser


def test_same_file_as_the_packs_and_both_work(fb, data):
    store = Store(data)
    pack = store.create_pack("Ward 4")
    fb.record(PAY, pid(9), NOT_THIS)
    assert fb.path == store.path == data / "panelsearch.sqlite3"
    assert store.pack(pack).title == "Ward 4" and fb.count() == 1


def test_a_reader_changes_or_takes_back_a_verdict(fb):
    row = fb.record(PAY, pid(9), HELPED)
    assert fb.change(row, NOT_THIS) and [m.verdict for m in fb.marks()] == [NOT_THIS]
    assert fb.withdraw(row) and fb.marks() == []
    assert not fb.change(row, HELPED) and not fb.withdraw(row)  # gone (cleared): the page records anew


def test_bounds_queries_are_cut_and_bad_input_refused(fb):
    long = "why " * 600
    fb.record(long, pid(9), HELPED)
    fb.record("  pay\x00 for   \x1b[31mtime\n ", pid(9), HELPED)
    stored = [m.query for m in fb.marks()]
    assert len(stored[0]) <= QUERY_MAX_CHARS and stored[0] == " ".join(long.split())[:QUERY_MAX_CHARS].strip()
    assert stored[1] == "pay for [31mtime"  # controls dropped, on one line
    for query, passage, verdict, message in [
            ("", pid(9), HELPED, "needs the query"), ("   \n", pid(9), HELPED, "needs the query"),
            (None, pid(9), HELPED, "must be text"), (PAY, "q09", HELPED, "not a passage id"),
            (PAY, pid(9, source="x" * 400), HELPED, "not a passage id"), (PAY, 9, HELPED, "not a passage id"),
            (PAY, pid(9), "maybe", "a verdict is"), (PAY, pid(9), None, "a verdict is")]:
        with pytest.raises(UsageError, match=message):
            fb.record(query, passage, verdict)
    with pytest.raises(UsageError, match="a verdict is"):
        fb.change(1, "yes")
    assert fb.count() == 2


def test_at_the_cap_new_verdicts_are_refused_and_the_stored_ones_stay(fb, monkeypatch):
    monkeypatch.setattr(feedback_module, "MAX_FEEDBACK_ROWS", 3)
    rows = [fb.record(f"query {n}", pid(n + 1), HELPED) for n in range(3)]
    with pytest.raises(FeedbackFull, match="holds 3 verdicts"):
        fb.record("one more", pid(9), NOT_THIS)
    assert [m.id for m in fb.marks()] == rows  # nothing pushed out
    assert fb.change(rows[0], NOT_THIS)  # changing a verdict adds no row: allowed at the cap
    assert fb.clear() == 3 and fb.count() == 0
    fb.record("one more", pid(9), NOT_THIS)
    assert FeedbackFull.exit_code == 1


# -- an older file, a newer file -------------------------------------------------------------------
# A v1 file as the code made it before feedback existed: tests/data/store-v1.sql, a `.dump`.
V1_FILE = Path(__file__).resolve().parent / "data" / "store-v1.sql"


def v1_file(folder: Path) -> Path:
    folder.mkdir(parents=True)
    path = folder / "panelsearch.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.executescript(V1_FILE.read_text(encoding="utf-8"))
    conn.close()
    return path


@pytest.mark.parametrize("first", ["feedback", "packs"])
def test_a_v1_file_gains_the_feedback_table_and_keeps_its_packs(tmp_path, first):
    path = v1_file(tmp_path / "old")
    if first == "packs":  # the page opens the pack store first: it brings the file up to date
        assert Store(path.parent).pack("No4I9zPcqe9E").title == "Kept from v1"
    fb = Feedback(path.parent)
    fb.record(PAY, pid(9), HELPED)
    saved = Store(path.parent).pack("No4I9zPcqe9E")
    assert saved.title == "Kept from v1" and saved.items[0].item.text == "We pay them."
    assert [m.passage_id for m in fb.marks()] == [pid(9)]
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 2
        assert {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")} == \
            {"packs", "items", "feedback"}


def test_a_file_from_a_newer_version_is_refused_and_left_alone(tmp_path):
    folder = tmp_path / "newer"
    folder.mkdir()
    with sqlite3.connect(folder / "panelsearch.sqlite3") as conn:
        conn.execute("PRAGMA user_version = 3")
    with pytest.raises(store_module.StoreError, match="feedback store .* newer panelsearch"):
        Feedback(folder).record(PAY, pid(9), HELPED)
    with sqlite3.connect(folder / "panelsearch.sqlite3") as conn:
        assert conn.execute("SELECT name FROM sqlite_master").fetchall() == []


# -- two writers at once -------------------------------------------------------------------------
WRITER = r"""
import sys, time
from pathlib import Path
from panelsearch.feedback import Feedback

folder, who, go = sys.argv[1], sys.argv[2], Path(sys.argv[3])
(go.parent / f"ready-{who}").touch()  # imported and waiting
while not go.exists():
    time.sleep(0.005)  # polls for the start signal: a wait on state, the sleep is the interval
fb = Feedback(folder)
for n in range(50):
    row = fb.record(f"query {n} by {who}", f"doc:q{n:02d}:{who}:1", "helped")
    if n % 5 == 4:
        assert fb.change(row, "not_this")
"""


@pytest.mark.slow
def test_two_processes_recording_at_once_into_a_fresh_file_lose_nothing(tmp_path):
    folder, go = tmp_path / "fresh", tmp_path / "go"
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(folder), who, str(go)], cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for who in ("AA", "BB")]
    deadline = time.monotonic() + 120
    while not all((tmp_path / f"ready-{who}").exists() for who in ("AA", "BB")):  # both imported and waiting
        assert time.monotonic() < deadline and all(p.poll() is None for p in procs), "a writer did not start"
        time.sleep(0.01)  # the polling interval, not a wait
    go.touch()  # then both go at once
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    marks = Feedback(folder).marks()
    assert len(marks) == 100 and len({m.id for m in marks}) == 100
    assert {(m.passage_id, m.verdict) for m in marks} == {
        (f"doc:q{n:02d}:{w}:1", NOT_THIS if n % 5 == 4 else HELPED) for n in range(50) for w in ("AA", "BB")}


# -- the export -----------------------------------------------------------------------------------
def marked(fb: Feedback) -> Feedback:
    """Three readers on the pay question (one typed it in lower case), one on an off-topic one."""
    fb.record(PAY, pid(9, part=1), HELPED)
    fb.record(PAY.lower(), pid(9, part=1), HELPED)
    fb.record(PAY.lower(), pid(9, part=2), HELPED)  # a second passage of the same (question, speaker)
    fb.record(PAY, pid(13, "SK"), HELPED)
    fb.record(PAY, pid(13, "SK"), NOT_THIS)  # one each: disputed
    fb.record("  how do we PAY experts by experience? ", pid(11), NOT_THIS)
    fb.record("weather in paris", pid(6, "SK"), NOT_THIS)
    return fb


def test_the_export_holds_one_candidate_per_query_for_review(fb):
    data = export(marked(fb).marks())
    assert data["review"] == "pending" and "NOT part of the dev set" in data["description"]
    assert data["verdicts"] == 7
    pay, weather = data["queries"]
    assert pay["query"] == PAY and pay["review"] == "pending" and pay["kind"] == "feedback"
    assert pay["relevant"] == [{"source": SEED_SOURCE, "question": 9, "speaker": "AC", "grade": 2,
                                "passage_ids": [pid(9, part=1), pid(9, part=2)], "helped": 3, "not_this": 0}]
    assert pay["not_relevant"] == [{"source": SEED_SOURCE, "question": 11, "speaker": "AC",
                                    "passage_id": pid(11), "helped": 0, "not_this": 1}]
    assert [d["passage_id"] for d in pay["disputed"]] == [pid(13, "SK")]
    assert pay["marks"] == {HELPED: 4, NOT_THIS: 2}
    assert weather["relevant"] == [] and weather["not_relevant"][0]["question"] == 6
    assert "passages" not in data  # no library given
    assert unit_grades(pay["relevant"]) == {(SEED_SOURCE, 9, "AC"): 2}  # what evaluate.py reads


def test_the_export_adds_each_passages_text_from_the_library(fb):
    fb.record(PAY, pid(9), HELPED)
    fb.record(PAY, pid(99), NOT_THIS)
    passage = SimpleNamespace(question="Are EBEs paid?", speaker="AC", text="We pay them.")
    data = export(fb.marks(), {pid(9): passage})
    assert data["passages"] == {pid(9): {"in_library": True, "question": "Are EBEs paid?", "speaker": "AC",
                                         "text": "We pay them."},
                                pid(99): {"in_library": False}}


# -- how the ranking places the marks -------------------------------------------------------------
class FakeSearcher:
    """Always the same ranking: AC's two passages on Q9, SK on Q13, AC on Q11, then AC on Q1..Q5."""
    ranked = [pid(9, part=2), pid(9, part=1), pid(13, "SK"), pid(11)] + [pid(n) for n in range(1, 6)]

    def __init__(self):
        self.asked = []

    def query(self, query, k=5):
        self.asked.append((query, k))
        hits = [SimpleNamespace(passage_id=p, **dict(zip(("source", "question_number", "speaker"),
                                                         feedback_module.passage_unit(p))))
                for p in self.ranked[:k]]
        return SimpleNamespace(hits=hits)


def test_rank_marks_reports_hits_mrr_and_not_this_in_the_top_5(fb):
    fb.record(PAY, pid(9, part=1), HELPED)  # rank 2, its unit first
    fb.record(PAY, pid(3), HELPED)  # rank 7, unit 6
    fb.record(PAY, pid(40), HELPED)  # not found at all
    fb.record(PAY, pid(11), NOT_THIS)  # rank 4: still in the top 5
    fb.record("other", pid(5), NOT_THIS)  # rank 9
    searcher = FakeSearcher()
    report = rank_marks(searcher, fb.marks())
    assert searcher.asked == [(PAY, 50), ("other", 50)]  # one search per distinct query
    assert report["queries"] == 2 and report["helped"]["n"] == 3
    assert report["helped"]["passage"] == {"hit@1": 0.0, "hit@5": pytest.approx(1 / 3),
                                           "MRR": pytest.approx((1 / 2 + 1 / 7) / 3)}
    assert report["helped"]["unit"] == {"hit@1": pytest.approx(1 / 3), "hit@5": pytest.approx(1 / 3),
                                        "MRR": pytest.approx((1 + 1 / 6) / 3)}
    assert report["not_this"] == {"n": 2, "in_top_5": 1}
    assert [(m["passage_id"], m["rank"]) for m in report["marks"]] == [
        (pid(9, part=1), 2), (pid(3), 7), (pid(40), None), (pid(11), 4), (pid(5), 9)]
    text = format_ranks(report)
    assert "'not this' passages still in the top 5: 1 of 2" in text and "MRR 0.214" in text


def test_candidates_follow_the_majority_per_passage(fb):
    fb.record(PAY, pid(9), HELPED)
    row = fb.record(PAY, pid(9), NOT_THIS)
    fb.record(PAY, pid(9), NOT_THIS)
    [c] = candidates(fb.marks())
    assert c.passages(NOT_THIS) == [pid(9)] and c.passages(HELPED) == []
    fb.change(row, HELPED)
    [c] = candidates(fb.marks())
    assert c.passages(HELPED) == [pid(9)]


# -- the command line -----------------------------------------------------------------------------
def run_cli(capsys, *argv) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_the_data_folder_comes_from_the_entry_points_settings(tmp_path):
    parser = build_parser(Settings(data=tmp_path / "elsewhere"))
    assert parser.parse_args(["feedback", "export"]).data == tmp_path / "elsewhere"
    assert parser.parse_args(["eval", "--feedback"]).data == tmp_path / "elsewhere"


def test_cli_lists_exports_and_clears(fb, data, capsys, tmp_path):
    marked(fb)
    code, out, _ = run_cli(capsys, "feedback", "list", "--data", str(data))
    assert code == 0 and out.startswith("7 verdicts on 2 queries") and f'"{PAY}"' in out
    code, out, _ = run_cli(capsys, "feedback", "list", "--data", str(data), "--json")
    assert json.loads(out)[0]["passages"][pid(9)] == {HELPED: 2}
    code, out, err = run_cli(capsys, "feedback", "export", "--data", str(data), "--index", str(tmp_path / "none"))
    assert code == 0 and json.loads(out)["queries"][0]["query"] == PAY and "not looked up in a library" in err
    target = tmp_path / "candidates.json"
    code, out, _ = run_cli(capsys, "feedback", "export", "--data", str(data), "--index", str(tmp_path / "none"),
                           "-o", str(target))
    assert code == 0 and "2 candidate queries from 7 verdicts" in out
    assert [q["query"] for q in load_queries(target)] == [PAY, "weather in paris"]  # evaluate.py reads it
    code, _, err = run_cli(capsys, "feedback", "clear", "--data", str(data))
    assert code == 2 and "--yes" in err and fb.count() == 7
    code, out, _ = run_cli(capsys, "feedback", "clear", "--data", str(data), "--yes")
    assert code == 0 and "removed 7 verdicts" in out and fb.count() == 0
    code, out, _ = run_cli(capsys, "eval", "--feedback", "--data", str(data), "--index", str(tmp_path / "none"))
    assert code == 0 and "no feedback recorded" in out


@pytest.mark.slow
def test_eval_reads_the_export_and_ranks_the_marks_with_the_real_pipeline(fb, data, built_index, capsys, tmp_path):
    corpus, index = built_index
    marked(fb)
    target = tmp_path / "candidates.json"
    assert run_cli(capsys, "feedback", "export", "--data", str(data), "--index", str(index), "-o", str(target))[0] == 0
    exported = json.loads(target.read_text())
    assert exported["passages"][pid(9)]["in_library"] is True and exported["passages"][pid(9)]["text"]
    code, out, err = run_cli(capsys, "eval", "--queries", str(target), "--index", str(index), "--corpus", str(corpus))
    assert code == 0, err
    assert "2 queries (1 in scope)" in out and "no tune/test split" in out
    code, out, err = run_cli(capsys, "eval", "--feedback", "--data", str(data), "--index", str(index),
                             "--corpus", str(corpus), "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["queries"] == 2 and report["helped"]["n"] == 2 and report["not_this"]["n"] == 2
    assert all(m["rank"] is None or 1 <= m["rank"] <= 50 for m in report["marks"])
    assert report["helped"]["unit"]["hit@5"] >= 0.5  # AC on Q9 is the pay question's own answer


# -- the page (AppTest; the real browser is tests/test_browser_feedback.py) ----------------------
def feedback_buttons(app) -> dict[str, object]:
    return {b.label: b for b in app.button if (b.key or "").startswith("feedback-search-")}


def test_the_page_records_changes_and_takes_back_a_verdict_and_says_when_it_is_full(built_index, monkeypatch,
                                                                                   data):
    from streamlit.testing.v1 import AppTest

    corpus, index = built_index
    for name, value in {"PANELSEARCH_INDEX": index, "PANELSEARCH_CORPUS": corpus, "PANELSEARCH_DATA": data}.items():
        monkeypatch.setenv(name, str(value))
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    app.text_input(key="w_query").input(PAY).run()
    labels = list(feedback_buttons(app))
    first = re.search(r"This helped: (.+ on Q\d+)", labels[0]).group(1)
    assert labels[:2] == [f"This helped: {first}", f"Not this: {first}"]
    feedback_buttons(app)[f"This helped: {first}"].click().run()
    buttons = feedback_buttons(app)
    assert buttons[f"Recorded that this helped: {first}"].disabled and f"Take back: {first}" in buttons
    assert [t.value for t in app.toast] == ["Thank you: recorded that this helped."]
    [mark] = Feedback(data).marks()
    assert (mark.query, mark.verdict) == (PAY, HELPED)
    buttons[f"Change to not this: {first}"].click().run()
    assert [(m.id, m.verdict) for m in Feedback(data).marks()] == [(mark.id, NOT_THIS)]  # the same row
    feedback_buttons(app)[f"Take back: {first}"].click().run()
    assert Feedback(data).marks() == [] and f"This helped: {first}" in feedback_buttons(app)

    monkeypatch.setattr(feedback_module, "MAX_FEEDBACK_ROWS", 0)
    feedback_buttons(app)[f"Not this: {first}"].click().run()
    assert not app.exception and Feedback(data).marks() == []
    assert "Not recorded: the feedback store holds 0 verdicts" in app.toast[0].value
    assert f"Not this: {first}" in feedback_buttons(app)  # nothing shown as recorded
