"""Saved packs (store.py): editing, persistence, limits, concurrent writers, and the `pack` commands."""
import io
import json
import sqlite3
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import docx
import pytest

from panelsearch import store as store_module
from panelsearch.cli import main
from panelsearch.errors import UsageError
from panelsearch.models import Passage, QuestionRecord, AnswerRecord
from panelsearch.pack import PackItem
from panelsearch.saved import mark_missing
from panelsearch.store import MAX_ITEMS, MAX_NOTE_CHARS, MAX_TITLE_CHARS, PackNotFound, Store, valid_id

ROOT = Path(__file__).resolve().parent.parent
SOURCE = "coproduction-qi-webinar-qa"
TITLE = "Co-production in healthcare quality improvement: webinar Q&A"


def item(n: int, speaker: str = "AC", part: int | str = 1, text: str | None = None, **more) -> PackItem:
    return PackItem(f"{SOURCE}:q{n:02d}:{speaker}:{part}", SOURCE, n, f"Audience question {n}?", speaker,
                    text or f"What {speaker} said about {n}.", title=TITLE, **more)


@pytest.fixture
def store(tmp_path) -> Store:
    return Store(tmp_path / "data")


def ids(saved) -> list[str]:
    return [s.item.passage_id for s in saved.items]


# -- editing -------------------------------------------------------------------------------------
def test_create_add_move_remove_notes_and_prompts_round_trip(store):
    pid = store.create_pack("  Ward 4   meeting ")
    assert valid_id(pid)
    a, b, c = item(1), item(2, "SK"), item(3)
    assert store.add_item(pid, a) and store.add_item(pid, b) and store.add_item(pid, c)
    assert not store.add_item(pid, replace(a, text="other text"))  # the same passage id: not twice
    assert store.move_item(pid, c.passage_id, -1)
    assert ids(store.pack(pid)) == [a.passage_id, c.passage_id, b.passage_id]
    assert store.move_item(pid, a.passage_id, 99)  # clamped to the end
    assert ids(store.pack(pid)) == [c.passage_id, b.passage_id, a.passage_id]
    assert not store.move_item(pid, "not:in:the:pack", 1)

    assert store.set_note(pid, b.passage_id, "Ask the board.\nThen HR.")
    assert store.set_prompt(pid, b.passage_id, "  Do we pay our EBEs?  ")
    assert not store.set_note(pid, "not:in:the:pack", "x")
    assert store.remove_item(pid, c.passage_id) and not store.remove_item(pid, c.passage_id)

    saved = store.pack(pid)
    assert saved.title == "Ward 4 meeting" and saved.created <= saved.updated
    assert [(s.position, s.item.passage_id) for s in saved.items] == [(1, b.passage_id), (2, a.passage_id)]
    kept = saved.items[0].item
    assert kept == replace(b, note="Ask the board.\nThen HR.", prompt="Do we pay our EBEs?")
    assert kept.discussion_prompt == "Do we pay our EBEs?"
    assert saved.items[1].item.discussion_prompt == "How would we answer “Audience question 1?” in our team?"

    store.rename(pid, "Board away day")
    store.clear(pid)
    saved = store.pack(pid)
    assert saved.title == "Board away day" and saved.items == ()


def test_packs_persist_across_store_instances(tmp_path):
    first = Store(tmp_path / "data")
    pid = first.create_pack("Kept")
    first.add_item(pid, item(1))
    first.set_note(pid, item(1).passage_id, "remember")
    again = Store(tmp_path / "data")  # a "reload": a new process, a new Store
    saved = again.pack(pid)
    assert saved.title == "Kept" and saved.items[0].item.note == "remember"
    assert [(p.id, p.title, p.count) for p in again.list_packs()] == [(pid, "Kept", 1)]


def test_the_store_is_made_on_first_use_in_wal_mode_with_a_schema_version(tmp_path):
    folder = tmp_path / "new" / "data"
    Store(folder).list_packs()
    path = folder / "panelsearch.sqlite3"
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA user_version").fetchone()[0] == store_module.SCHEMA_VERSION
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"packs", "items"} <= tables


def test_the_data_folder_comes_from_the_entry_points_settings_else_data(monkeypatch, tmp_path):
    from panelsearch.config import Settings

    monkeypatch.setenv("PANELSEARCH_DATA", str(tmp_path / "elsewhere"))
    assert Store().folder == ROOT / "data"  # the library itself reads no environment variable
    assert Store(Settings.from_environ({"PANELSEARCH_DATA": str(tmp_path / "elsewhere")}).data).folder == tmp_path / "elsewhere"
    assert Settings.from_environ({"PANELSEARCH_DATA": ""}).data == ROOT / "data"


def test_a_store_from_a_newer_version_or_not_sqlite_is_refused_in_one_line(tmp_path):
    newer = tmp_path / "newer"
    newer.mkdir()
    with sqlite3.connect(newer / "panelsearch.sqlite3") as conn:
        conn.execute("PRAGMA user_version = 99")
    with pytest.raises(store_module.StoreError, match="newer panelsearch"):
        Store(newer).list_packs()
    junk = tmp_path / "junk"
    junk.mkdir()
    (junk / "panelsearch.sqlite3").write_bytes(b"not a database at all" * 100)
    with pytest.raises(store_module.StoreError, match="cannot be used"):
        Store(junk).list_packs()


# -- limits and bad ids --------------------------------------------------------------------------
@pytest.mark.slow
def test_limits_are_refused_cleanly(store, monkeypatch):
    with pytest.raises(UsageError, match=f"at most {MAX_TITLE_CHARS}"):
        store.create_pack("x" * (MAX_TITLE_CHARS + 1))
    pid = store.create_pack("x" * MAX_TITLE_CHARS)
    store.add_item(pid, item(1))
    with pytest.raises(UsageError, match=f"at most {MAX_NOTE_CHARS}"):
        store.set_note(pid, item(1).passage_id, "n" * (MAX_NOTE_CHARS + 1))
    with pytest.raises(UsageError, match="prompt"):
        store.set_prompt(pid, item(1).passage_id, "p" * (MAX_NOTE_CHARS + 1))
    with pytest.raises(UsageError, match="note"):
        store.add_item(pid, item(2, note="n" * (MAX_NOTE_CHARS + 1)))
    with pytest.raises(UsageError):
        store.add_item(pid, item(3, text="t" * (store_module.MAX_ITEM_FIELD_CHARS + 1)))
    with pytest.raises(UsageError):
        store.add_item(pid, "not an item")
    with pytest.raises(UsageError):
        store.move_item(pid, item(1).passage_id, "up")
    for n in range(2, MAX_ITEMS + 1):
        assert store.add_item(pid, item(n))
    with pytest.raises(UsageError, match=f"at most {MAX_ITEMS}"):
        store.add_item(pid, item(MAX_ITEMS + 1))
    assert len(store.pack(pid).items) == MAX_ITEMS
    assert store.pack(pid).items[0].item.note == ""  # refused writes changed nothing

    monkeypatch.setattr(store_module, "MAX_PACKS", len(store.list_packs()))
    with pytest.raises(UsageError, match="as many as it keeps"):
        store.create_pack("one too many")


def test_text_is_cleaned_before_it_is_stored(store):
    pid = store.create_pack("Title\x00 with\ncontrols\x1b[2J")
    store.add_item(pid, item(1, text="a\x0bb\ufffec", note="line one\r\nline two\x07"))
    saved = store.pack(pid)
    assert saved.title == "Title with controls [2J"
    assert saved.items[0].item.text == "a bc" and saved.items[0].item.note == "line one\nline two"


@pytest.mark.parametrize("bad", ["", "nope", "x" * 12 + "y", "../../etc/passwd", "'; DROP TABLE packs;--",
                                 "a" * 5000, None, 12, "Aa0_-Aa0_-Aa"])
def test_bad_or_unknown_ids_give_none_or_a_clear_error(store, bad):
    store.create_pack("exists")
    assert store.pack(bad) is None
    for write in (lambda: store.add_item(bad, item(1)), lambda: store.rename(bad, "t"),
                  lambda: store.remove_item(bad, "p"), lambda: store.move_item(bad, "p", 1),
                  lambda: store.set_note(bad, "p", "n"), lambda: store.clear(bad), lambda: store.delete_pack(bad)):
        with pytest.raises(PackNotFound, match="no pack with id"):
            write()
    assert len(store.list_packs()) == 1


def test_delete_pack_removes_its_items(store):
    pid = store.create_pack("gone soon")
    store.add_item(pid, item(1))
    store.delete_pack(pid)
    assert store.pack(pid) is None and store.list_packs() == []
    with sqlite3.connect(store.path) as conn:
        assert conn.execute("SELECT COUNT(*) FROM items").fetchone()[0] == 0


# -- the library changed -------------------------------------------------------------------------
class FakeCatalog:
    """What mark_missing reads of a Catalog: passages and question records."""

    def __init__(self, passages, questions):
        self.passages, self.questions = passages, questions


def test_items_are_marked_when_their_passage_is_gone_or_changed(store):
    kept, changed, gone, whole = item(1), item(2), item(3), item(4, part="all", text="First part. Second part.")
    pid = store.create_pack("p")
    for i in (kept, changed, gone, whole):
        store.add_item(pid, i)
    catalog = FakeCatalog(
        [Passage(kept.passage_id, SOURCE, 1, kept.question, "AC", "  What AC said\nabout 1. ", 1),  # spacing only
         Passage(changed.passage_id, SOURCE, 2, changed.question, "AC", "Something else now.", 1)],
        [QuestionRecord(SOURCE, TITLE, 4, whole.question, (AnswerRecord("AC", "First part. Second part."),))])
    marked = mark_missing(store.pack(pid), catalog)
    assert [s.missing for s in marked.items] == [False, True, True, False]
    # A plain mapping of passage id -> text does as well
    marked = mark_missing(store.pack(pid), {kept.passage_id: kept.text, whole.passage_id: {"x", whole.text}})
    assert [s.missing for s in marked.items] == [False, True, True, False]
    assert marked.to_json()["items"][1]["missing"] is True


# -- two writers at once -------------------------------------------------------------------------
WRITER = r"""
import sys, time
from pathlib import Path
from panelsearch.pack import PackItem
from panelsearch.store import Store

folder, pack_id, who, go = sys.argv[1], sys.argv[2], sys.argv[3], Path(sys.argv[4])
(go.parent / f"ready-{who}").touch()  # imported and waiting
while not go.exists():
    time.sleep(0.005)  # polls for the start signal: a wait on state, the sleep is the interval
store = Store(folder)
if pack_id == "-":  # first use of a fresh folder by both writers at once
    print(store.create_pack(f"pack of {who}"))
    sys.exit(0)
for n in range(50):
    pid = f"doc:q{n:02d}:{who}:1"
    assert store.add_item(pack_id, PackItem(pid, "doc", n, f"Question {n}?", who, f"{who} on {n}"))
    if n % 5 == 4:
        store.move_item(pack_id, pid, -3)
        store.set_note(pack_id, pid, f"note by {who}")
"""


def _run_writers(folder: Path, pack_id: str, tmp_path: Path) -> list[subprocess.CompletedProcess]:
    go = tmp_path / "go"
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(folder), pack_id, who, str(go)], cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for who in ("AA", "BB")]
    deadline = time.monotonic() + 120
    while not all((tmp_path / f"ready-{who}").exists() for who in ("AA", "BB")):  # both imported and waiting
        assert time.monotonic() < deadline and all(p.poll() is None for p in procs), "a writer did not start"
        time.sleep(0.01)  # the polling interval, not a wait
    go.touch()  # then both go at once
    done = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        done.append(subprocess.CompletedProcess(p.args, p.returncode, out, err))
    assert all(p.returncode == 0 for p in done), [p.stderr for p in done]
    return done


@pytest.mark.slow
def test_two_processes_editing_one_pack_lose_nothing(tmp_path):
    folder = tmp_path / "data"
    pid = Store(folder).create_pack("shared")
    _run_writers(folder, pid, tmp_path)
    saved = Store(folder).pack(pid)
    assert len(saved.items) == 100
    assert [s.position for s in saved.items] == list(range(1, 101))
    assert {s.item.passage_id for s in saved.items} == {f"doc:q{n:02d}:{w}:1" for n in range(50) for w in ("AA", "BB")}
    noted = {s.item.passage_id: s.item.note for s in saved.items if s.item.note}
    assert noted == {f"doc:q{n:02d}:{w}:1": f"note by {w}" for n in range(4, 50, 5) for w in ("AA", "BB")}


@pytest.mark.slow
def test_two_processes_making_a_fresh_store_at_once_both_succeed(tmp_path):
    folder = tmp_path / "fresh"
    done = _run_writers(folder, "-", tmp_path)
    made = {p.stdout.strip() for p in done}
    assert {p.id for p in Store(folder).list_packs()} == made and len(made) == 2


# -- the `pack` commands ---------------------------------------------------------------------------
@pytest.fixture
def saved_pack(tmp_path):
    data = tmp_path / "data"
    s = Store(data)
    pid = s.create_pack("Ward 4 meeting")
    s.add_item(pid, item(9, text="EBEs are paid for their QI work, as NHS staff are."))
    s.add_item(pid, item(5, "SK", text="Time is the barrier."))
    s.add_item(pid, PackItem("panel:q02:JB:1", "patient-panel", 2, "Should panel members be paid?", "JB",
                             "Agree.", title="Running a patient panel", speaker_name="Jo Bloggs"))
    s.set_note(pid, item(9).passage_id, "Start with this one.")
    return data, pid


def run_cli(capsys, *argv) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_lists_and_shows_packs(saved_pack, capsys, tmp_path):
    data, pid = saved_pack
    code, out, _ = run_cli(capsys, "pack", "list", "--data", str(data))
    assert code == 0 and pid in out and "Ward 4 meeting" in out and "3 passages" in out
    code, out, _ = run_cli(capsys, "pack", "list", "--data", str(data), "--json")
    assert json.loads(out)[0] | {"created": "", "updated": ""} == {"id": pid, "title": "Ward 4 meeting",
                                                                   "items": 3, "created": "", "updated": ""}
    nowhere = str(tmp_path / "no-index")
    code, out, err = run_cli(capsys, "pack", "show", pid, "--data", str(data), "--index", nowhere)
    assert code == 0 and "1. [AC] Q9: Audience question 9?" in out and "note: Start with this one." in out
    assert "not checked against a library" in err
    code, out, _ = run_cli(capsys, "pack", "show", pid, "--data", str(data), "--index", nowhere, "--json")
    shown = json.loads(out)
    assert shown["id"] == pid and [i["position"] for i in shown["items"]] == [1, 2, 3]
    assert shown["items"][0]["note"] == "Start with this one."


def test_cli_errors_are_one_line_with_exit_codes(saved_pack, capsys):
    data, _ = saved_pack
    code, out, err = run_cli(capsys, "pack", "show", "AAAAAAAAAAAA", "--data", str(data))
    assert code == 1 and err == "panelsearch: error: no pack with id 'AAAAAAAAAAAA'\n" and not out
    code, _, err = run_cli(capsys, "pack", "export", "../../x", "--data", str(data))
    assert code == 1 and err.count("\n") == 1
    code, _, err = run_cli(capsys, "pack", "export", "AAAAAAAAAAAA", "--format", "pdf", "--data", str(data))
    assert code == 2 and err.startswith("panelsearch: error:") and err.count("\n") == 1
    code, _, err = run_cli(capsys, "pack", "--data", str(data))
    assert code == 2 and err.count("\n") == 1


def test_cli_exports_markdown(saved_pack, capsys, tmp_path):
    data, pid = saved_pack
    out_file = tmp_path / "handout.md"
    code, out, _ = run_cli(capsys, "pack", "export", pid, "--format", "md", "-o", str(out_file), "--data", str(data),
                           "--index", str(tmp_path / "no-index"))
    assert code == 0 and f"wrote {out_file}" in out
    md = out_file.read_text(encoding="utf-8")
    assert md.startswith("# Ward 4 meeting\n") and "## 1. Audience question 9?" in md
    assert "- **Jo Bloggs (source 2)**" in md and "**Note:** Start with this one." in md


def test_cli_exports_word_with_topics_who_spoke_glossary_and_sources_once(saved_pack, capsys, tmp_path,
                                                                          monkeypatch):
    data, pid = saved_pack
    monkeypatch.chdir(tmp_path)
    code, out, _ = run_cli(capsys, "pack", "export", pid, "--data", str(data), "--index", str(tmp_path / "none"))
    assert code == 0
    written = next(tmp_path.glob("ward-4-meeting-*.docx"))  # the default name: pack.file_name
    doc = docx.Document(io.BytesIO(written.read_bytes()))
    text = "\n".join(p.text for p in doc.paragraphs)
    headings = [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
    assert headings == ["1.  Audience question 9?", "2.  Audience question 5?", "3.  Should panel members be paid?"]
    assert {"Who spoke", "Glossary"} <= {p.text for p in doc.paragraphs if p.style.name == "Heading 2"}
    assert "Panelist AC (source 1)" in text and "Jo Bloggs (source 2)" in text
    glossary = text[text.index("Glossary"):text.index(headings[0])].splitlines()[1:]
    assert glossary == ["EBE  ·  Expert by Experience", "NHS  ·  National Health Service", "QI  ·  quality improvement"]
    assert text.count(TITLE) == 1 and text.count("Running a patient panel") == 1  # each source named once
    assert "To discuss:  How would we answer “Audience question 5?” in our team?" in text


def test_cli_marks_what_the_library_no_longer_holds_and_uses_its_glossary(built_index, capsys, tmp_path):
    from panelsearch.index_load import load_index

    _, index = built_index
    passage = load_index(index).passages[0]
    data = tmp_path / "data"
    s = Store(data)
    pid = s.create_pack("Checked")
    s.add_item(pid, PackItem.from_passage(passage, TITLE))
    s.add_item(pid, replace(PackItem.from_passage(passage, TITLE), passage_id=f"{SOURCE}:q99:AC:1"))
    code, out, err = run_cli(capsys, "pack", "show", pid, "--data", str(data), "--index", str(index), "--json")
    assert code == 0 and [i["missing"] for i in json.loads(out)["items"]] == [False, True] and not err
    code, out, err = run_cli(capsys, "pack", "export", pid, "--format", "md", "-o", str(tmp_path / "h.md"),
                             "--data", str(data), "--index", str(index))
    assert code == 0 and "1 passage(s) no longer in the library" in err
    md = (tmp_path / "h.md").read_text(encoding="utf-8")
    # the library's own definition ("Lived experience (lxp)"), spelt as the passage writes it
    assert "## Glossary\n\n- **lxp**: Lived experience\n- **QI**: quality improvement\n" in md


def test_pack_ids_never_start_with_a_dash(tmp_path, monkeypatch):
    # An id like "-T-bnp137ZHv" made `pack show ID` read as an option (exit 2), about one pack in 64.
    import secrets

    drawn = iter(["-T-bnp137ZHv", "AbCdEfGhIjKl"])
    monkeypatch.setattr(secrets, "token_urlsafe", lambda n: next(drawn))
    assert Store(tmp_path / "data").create_pack("x") == "AbCdEfGhIjKl"
