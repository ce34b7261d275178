"""CLI: the public JSON shapes, readable text, batch mode, and one-line errors with exit codes."""
import json
import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT

HIT_FIELDS = {"rank": int, "score": float, "question_number": int, "question": str, "speaker": str,
              "text": str, "passage_id": str, "source": str}


def run(*args, stdin=None):
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    return subprocess.run([sys.executable, "-m", "panelsearch", *map(str, args)], cwd=ROOT, env=env,
                          input=stdin, capture_output=True, text=True, timeout=300)


def check_hit(hit):
    for name, kind in HIT_FIELDS.items():
        assert isinstance(hit[name], kind), name


@pytest.fixture(scope="module")
def index_args(built_index):
    corpus, index = built_index
    return ["--index", index, "--corpus", corpus]


def test_parse_json_shape(seed_path):
    out = run("parse", seed_path, "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["source"] == "coproduction-qi-webinar-qa"
    assert len(data["questions"]) == 15
    q = data["questions"][1]
    assert set(q) >= {"number", "question", "answers"} and q["number"] == 2
    assert [a["speaker"] for a in q["answers"]] == ["SK", "AC"]
    assert all(set(a) >= {"speaker", "text"} for a in q["answers"])


def test_search_json_shape(index_args):
    out = run("search", "paying experts by experience", "-k", "3", "--json", *index_args)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["query"] == "paying experts by experience"
    assert isinstance(data["low_confidence"], bool)
    assert len(data["hits"]) == 3
    for hit in data["hits"]:
        check_hit(hit)
    assert data["hits"][0]["question_number"] == 9


def test_search_text_is_readable(index_args):
    out = run("search", "safe space", "-k", "2", "--speaker", "AC", *index_args)
    assert out.returncode == 0, out.stderr
    assert "Query: safe space" in out.stdout and "[AC] Q15:" in out.stdout
    assert "[SK]" not in out.stdout


def test_search_batch_from_stdin(index_args):
    out = run("search", "--batch", "-", "--json", "-k", "2", *index_args, stdin="training for staff\n\nsafe space\n")
    assert out.returncode == 0, out.stderr
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    assert [d["query"] for d in lines] == ["training for staff", "safe space"]
    assert all(len(d["hits"]) == 2 for d in lines)


def test_search_batch_from_file(index_args, tmp_path):
    queries = tmp_path / "queries.txt"
    queries.write_text("remuneration\nhierarchies\n")
    out = run("search", "--batch", queries, "--json", *index_args)
    assert out.returncode == 0, out.stderr
    assert len(out.stdout.splitlines()) == 2


def test_compare_json_shape(index_args):
    out = run("compare", "training for experts by experience", "--json", *index_args)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["query"] == "training for experts by experience"
    assert set(data["speakers"]) == {"AC", "SK"}
    for speaker, hits in data["speakers"].items():
        assert hits and all(h["speaker"] == speaker for h in hits)
        for hit in hits:
            check_hit(hit)


@pytest.mark.parametrize("args, code, message", [
    (["search", "   "], 2, "query is empty"),
    (["search", "training", "-k", "0"], 2, "expected at least 1"),
    (["search", "training", "--speaker", "ZZ"], 2, "unknown speaker ZZ"),
    (["search"], 2, "give either a QUERY or --batch"),
    (["compare", ""], 2, "query is empty"),
    (["frobnicate"], 2, "invalid choice"),
])
def test_usage_errors(index_args, args, code, message):
    out = run(*args, *(index_args if args[0] in ("search", "compare") else []))
    assert out.returncode == code
    assert message in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1 and "Traceback" not in out.stderr


def test_missing_index_exits_1(tmp_path):
    out = run("search", "training", "--index", tmp_path / "none")
    assert out.returncode == 1
    assert "no index at" in out.stderr and "python -m panelsearch build" in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1


def test_parse_unreadable_file_exits_1(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"1 Q?\nAC: \xff\xfe\n")
    out = run("parse", bad)
    assert out.returncode == 1 and "bad.txt:2:" in out.stderr and "UTF-8" in out.stderr
    out = run("parse", tmp_path / "absent.txt")
    assert out.returncode == 1 and "absent.txt" in out.stderr and "Traceback" not in out.stderr


def test_build_bad_corpus_exits_1_and_keeps_index(tmp_path, seed_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("1 Q?\nAC: fine answer.\n")
    index = tmp_path / "index"
    assert run("build", "--corpus", corpus, "--index", index, "--model", "hash-32").returncode == 0
    before = (index / "passages.jsonl").read_text()
    (corpus / "b.txt").write_text("1 Q?\nno tag\n")
    out = run("build", "--corpus", corpus, "--index", index, "--model", "hash-32")
    assert out.returncode == 1 and "b.txt:1: question 1 has no speaker-tagged answer" in out.stderr
    assert (index / "passages.jsonl").read_text() == before


@pytest.mark.slow
def test_add_then_filter_by_document(tmp_path, seed_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / seed_path.name).write_bytes(seed_path.read_bytes())
    index = tmp_path / "index"
    assert run("build", "--corpus", corpus, "--index", index, "--model", "hash-64").returncode == 0
    doc = tmp_path / "panel.md"
    doc.write_text("# Panel talk\n\nSpeakers:\n- JB: Jo Bloggs, chair\n\n## 1. Should members be paid?\n\n"
                   "**JB:** Yes, pay for time and travel.\n")
    out = run("add", doc, "--corpus", corpus, "--index", index)
    assert out.returncode == 0, out.stderr
    assert "added panel.md" in out.stdout and "reused" in out.stdout
    out = run("search", "paid", "--document", "panel", "--json", "--index", index, "--corpus", corpus)
    hits = json.loads(out.stdout)["hits"]
    assert hits and all(h["source"] == "panel" and h["title"] == "Panel talk" for h in hits)
    assert hits[0]["speaker_name"] == "Jo Bloggs"
    again = run("add", doc, "--corpus", corpus, "--index", index)
    assert again.returncode == 1 and "refused panel.md" in again.stderr
    bad = run("search", "paid", "--document", "nope", "--index", index, "--corpus", corpus)
    assert bad.returncode == 2 and "unknown document nope" in bad.stderr
