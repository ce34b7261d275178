"""Odd queries, through the library and the command line: an answer or one clear line, never a traceback.

An answer means hits whose text is untouched by the query, valid JSON, and the query echoed as the
text that was given (whitespace collapsed; a very long query cut to what the model reads, with a
notice). Empty input is refused with exit 2 and one line on stderr.
"""
import json
import math
import os
import subprocess
import sys

import pytest

from panelsearch.errors import UsageError
from panelsearch.search import MAX_QUERY_CHARS
from tests.conftest import ROOT, SEED

LONG = ("how do we pay experts by experience for their time " * 400)[:20_000]

# name -> query. None of these says anything the panel discussed, except where the name says so.
ODD = {
    "emoji": "😀🎉👩‍⚕️",
    "emoji_in_a_real_question": "how do we pay experts 💷 by experience?",
    "arabic": "كيف ندفع للخبراء بالتجربة؟",
    "hebrew": "איך משלמים למומחים מניסיון",
    "bidi_marks_in_a_real_question": "\u200fhow do we pay \u202bexperts by experience\u202c for their time?\u200e",
    "control_characters_in_a_real_question": "training\x00for\x07staff\x1b[31m",
    "only_control_characters": "\x00\x07\x1b\x7f",
    "only_zero_width": "\u200b\u200d\ufeff",
    "only_stop_words": "the of and to is it",
    "only_punctuation": "?!.,;:--...'\"()[]{}",
    "sql_injection": "'; DROP TABLE passages; --",
    "sql_select": "SELECT * FROM passages WHERE speaker = 'AC' UNION SELECT password FROM users",
    "html_script": "<script>alert(document.cookie)</script>",
    "html_attribute": "\"><img src=x onerror=alert(1)>",
    "markdown": "[click me](javascript:alert(1)) **bold** # heading `code` ![x](http://evil.example/x.png)",
    "regex_metacharacters": "(.*)+[ \\d{99999} (?P<x>) ^$|",
    "format_strings": "%s %(x)s {0} {x!r} ${HOME} $(id) `id`",
    "path_traversal": "../../../../etc/passwd",
    "json_lookalike": '{"query": "x", "hits": [], "low_confidence": false}',
    "long_20k": LONG,
    "long_20k_one_word": "x" * 20_000,
    "long_cjk": "如何支付专家" * 300,
}
NOT_COVERED = {"emoji", "arabic", "hebrew", "only_control_characters", "only_zero_width", "only_stop_words",
               "only_punctuation", "sql_injection", "html_script", "html_attribute", "markdown",
               "regex_metacharacters", "format_strings", "path_traversal", "long_20k_one_word", "long_cjk"}
COVERED = {"emoji_in_a_real_question": 9, "bidi_marks_in_a_real_question": 9,  # name -> question answering it
           "control_characters_in_a_real_question": 8, "long_20k": 9}
EMPTY = ["", " ", "   \t\n  ", "\u3000\u2003", "\x1c\x1d\x1e\x1f", "\n\n"]


def echo(query: str) -> str:
    """The query as results name it: whitespace collapsed."""
    return " ".join(query.split())


def check_result(result: dict, query: str, k: int, passages: dict) -> None:
    """``result`` is the JSON form of a SearchResult for ``query``."""
    assert isinstance(result["low_confidence"], bool)
    given = echo(query)
    if len(given) > MAX_QUERY_CHARS:
        assert f"{len(given):,} characters" in result["notice"]
        assert given.startswith(result["query"]) and 0 < len(result["query"]) <= MAX_QUERY_CHARS
    else:
        assert result["query"] == given
    hits = result["hits"]
    assert [h["rank"] for h in hits] == list(range(1, k + 1))
    scores = [h["score"] for h in hits]
    assert all(math.isfinite(s) for s in scores) and scores == sorted(scores, reverse=True)
    for h in hits:  # the hit is the stored passage, untouched by whatever the query held
        p = passages[h["passage_id"]]
        assert (h["text"], h["speaker"], h["question"], h["question_number"]) == (
            p.text, p.speaker, p.question, p.question_number)
    if result["low_confidence"]:
        assert result["closest_questions"]


@pytest.fixture(scope="module")
def passages(searcher):
    return {p.passage_id: p for p in searcher.passages}


@pytest.fixture(scope="module")
def library_results(searcher):
    """name -> SearchResult (k=5) for the ODD queries, each computed once: encoding is the slow part."""
    cache = {}

    def result(name):
        if name not in cache:
            cache[name] = searcher.query(ODD[name], k=5)
        return cache[name]
    return result


# -- library -------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(ODD))
def test_odd_query_gets_an_answer(library_results, passages, name):
    result = library_results(name)
    data = json.loads(json.dumps(result.to_json(), ensure_ascii=False, allow_nan=False))
    check_result(data, ODD[name], 5, passages)
    if name in NOT_COVERED:
        assert result.low_confidence, "nothing in the panel's answers matches this"
    if name in COVERED:
        assert not result.low_confidence and result.hits[0].question_number == COVERED[name]


@pytest.mark.parametrize("name", ["sql_injection", "long_20k"])
def test_odd_query_compares_speakers(searcher, name):
    compare = searcher.compare(ODD[name], k=2)
    assert set(compare.speakers) == {"AC", "SK"}
    assert compare.query == searcher.query(ODD[name], k=1).query
    assert all(len(hits) == 2 and {h.speaker for h in hits} == {s} for s, hits in compare.speakers.items())


@pytest.mark.parametrize("query", EMPTY, ids=repr)
def test_empty_query_is_refused_clearly(searcher, query):
    with pytest.raises(UsageError, match="the query is empty"):
        searcher.query(query)
    with pytest.raises(UsageError, match="the query is empty"):
        searcher.compare(query)


def test_long_query_is_cut_with_a_notice(searcher):
    result = searcher.query(LONG)
    assert result.notice == (f"Your query was 20,000 characters long; only its first {len(result.query):,} "
                             "were searched.")
    assert LONG.startswith(result.query) and not result.query.endswith(" ")
    assert result.hits[0].question_number == 9 and not result.low_confidence


def test_query_with_markup_is_echoed_as_text_not_markup(searcher):
    # Escaping belongs to whoever renders HTML or Markdown; the library gives back what was typed.
    for name in ("html_script", "markdown", "sql_injection"):
        assert searcher.query(ODD[name]).query == ODD[name]


@pytest.mark.parametrize("query", ["1' OR '1'='1", "' OR 1=1 --", "1 2 3", "the of and to is it what how",
                                   "how do we do it"])
def test_query_without_content_words_is_low_confidence(searcher, query):
    assert searcher.query(query).low_confidence


def test_undecodable_query_is_refused_or_searched(searcher):
    try:
        result = searcher.query("caf\udce9 training")
    except UsageError as err:
        assert "\n" not in str(err)
    else:
        assert result.hits and "\udce9" not in result.query


# -- command line --------------------------------------------------------------------------------
def run(*args, stdin=None, env_extra=None):
    env = {**os.environ, "HF_HUB_OFFLINE": "1", **(env_extra or {})}
    return subprocess.run([sys.executable, "-m", "panelsearch", *args], cwd=ROOT, env=env, input=stdin,
                          capture_output=True, timeout=300)


def one_line_error(out, code: int, *phrases: str) -> str:
    err = out.stderr.decode("utf-8", "replace")
    assert out.returncode == code, (out.returncode, err[-2000:])
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    for phrase in phrases:
        assert phrase in err
    return err


@pytest.fixture(scope="module")
def hash_index(tmp_path_factory):
    """A seed index with the fast built-in hash-64 embedder: for CLI runs where the model does not matter."""
    from panelsearch.embed import HashEmbedder
    from panelsearch.index import build_index

    base = tmp_path_factory.mktemp("hash")
    corpus = base / "corpus"
    corpus.mkdir()
    (corpus / SEED.name).write_bytes(SEED.read_bytes())
    build_index(corpus, base / "index", HashEmbedder(64))
    return ["--index", str(base / "index"), "--corpus", str(corpus)]


@pytest.mark.slow
def test_cli_batch_of_odd_queries_with_the_real_model(built_index, library_results, passages):
    # One process for all of them: the model loads once.
    corpus, index = built_index
    queries = list(ODD.values())
    out = run("search", "--batch", "-", "--json", "-k", "3", "--index", str(index), "--corpus", str(corpus),
              stdin="\n".join(queries).encode("utf-8"))
    assert out.returncode == 0 and b"Traceback" not in out.stderr, out.stderr[-3000:]
    lines = out.stdout.decode("utf-8").splitlines()
    assert len(lines) == len(queries)
    for name, line in zip(ODD, lines):
        data = json.loads(line)
        check_result(data, ODD[name], 3, passages)
        # The command line and the library agree.
        library = library_results(name)
        assert [h["passage_id"] for h in data["hits"]] == [h.passage_id for h in library.hits[:3]]
        assert data["low_confidence"] == library.low_confidence


# A fresh interpreter per query (~0.5 s each): `make check` keeps two, the slow tier runs them all.
@pytest.mark.parametrize("name", ["emoji", "long_20k"] + [
    pytest.param(name, marks=pytest.mark.slow) for name in ["arabic", "bidi_marks_in_a_real_question", "sql_injection",
                                                            "html_script", "markdown", "format_strings", "long_cjk"]])
def test_cli_odd_query_as_argument(hash_index, name):
    out = run("search", ODD[name], "--json", "-k", "2", *hash_index)
    assert out.returncode == 0 and not out.stderr.strip(), out.stderr[-2000:]
    data = json.loads(out.stdout.decode("utf-8"))
    given = echo(ODD[name])
    assert data["query"] == given if len(given) <= MAX_QUERY_CHARS else given.startswith(data["query"])
    assert len(data["hits"]) == 2 and ("notice" in data) == (len(given) > MAX_QUERY_CHARS)


def test_cli_query_that_looks_like_an_option(hash_index):
    out = run("search", "-- comment about training", "--json", *hash_index)
    assert out.returncode == 0 and json.loads(out.stdout)["query"] == "-- comment about training"
    out = run("search", "--json", *hash_index, "--", "-k")  # after --, even "-k" is a query
    assert out.returncode == 0 and json.loads(out.stdout)["query"] == "-k"
    one_line_error(run("search", "-x", *hash_index), 2)


@pytest.mark.parametrize("query", EMPTY, ids=repr)
def test_cli_empty_query_exits_2_with_one_line(hash_index, query):
    one_line_error(run("search", query, *hash_index), 2, "the query is empty")


def test_cli_empty_compare_exits_2(hash_index):
    one_line_error(run("compare", " \t ", *hash_index), 2, "the query is empty")


def test_cli_batch_skips_blank_lines(hash_index):
    out = run("search", "--batch", "-", "--json", *hash_index, stdin=b"\n  \n\t\ntraining\n\r\n")
    assert out.returncode == 0
    assert [json.loads(line)["query"] for line in out.stdout.splitlines()] == ["training"]


def test_cli_long_query_text_mode(hash_index):
    out = run("search", LONG, "-k", "2", *hash_index)
    assert out.returncode == 0 and b"Traceback" not in out.stderr, out.stderr[-2000:]
    text = out.stdout.decode("utf-8")
    assert "Note: Your query was 20,000 characters long; only its first" in text
    assert text.count("\n1. [") == 1 and "\n2. [" in text


def test_cli_text_output_has_no_raw_control_characters(hash_index):
    out = run("search", "training\x1b[2J\x1b]0;pwned\x07 staff", "-k", "1", *hash_index)
    assert out.returncode == 0
    assert not any(c < 0x20 and c not in (0x0A,) for c in out.stdout), out.stdout[:200]


def test_cli_undecodable_argument(hash_index):
    out = subprocess.run([sys.executable, "-m", "panelsearch", "search", b"caf\xe9 training", "--json", *hash_index],
                         cwd=ROOT, capture_output=True, timeout=300, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    if out.returncode == 0:
        json.loads(out.stdout)
    else:
        one_line_error(out, 2)


def test_cli_batch_file_not_utf8(hash_index, tmp_path):
    batch = tmp_path / "queries.txt"
    batch.write_bytes("training\ncaf\xe9 au lait\n".encode("latin-1"))
    one_line_error(run("search", "--batch", str(batch), "--json", *hash_index), 1, "queries.txt", "UTF-8")


def test_cli_batch_stdin_not_utf8(hash_index):
    one_line_error(run("search", "--batch", "-", "--json", *hash_index, stdin=b"training\ncaf\xe9\n"), 1, "UTF-8")


def test_cli_batch_file_with_byte_order_mark(hash_index, tmp_path):
    # Windows editors often start a UTF-8 file with a BOM; it is not part of the first query.
    batch = tmp_path / "queries.txt"
    batch.write_bytes("training staff\nsafe space\ntraining staff\n".encode("utf-8-sig"))
    out = run("search", "--batch", str(batch), "--json", *hash_index)
    assert out.returncode == 0, out.stderr
    first, second, third = [json.loads(line) for line in out.stdout.splitlines()]
    assert second["query"] == "safe space" and first["query"] == "training staff"
    assert first["hits"] == third["hits"]
