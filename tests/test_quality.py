"""Retrieval quality floors on the dev set's test half, the split and the bootstrap, and the pieces of
the hybrid pipeline one by one."""
import json
from collections import Counter

import pytest

from panelsearch.evaluate import (LABELS, SPLITS, assign_splits, best_answer_texts, bootstrap_ci,
                                  bootstrap_ratio_ci, content_word_share, evaluate, evaluate_halves, halves,
                                  is_answerable, label_precision, load_queries, query_metrics, ranked_units)
from panelsearch.glossary import build_glossary, derive, find_acronyms
from panelsearch.lexical import Lexicon, expand_acronyms

# Floors, not snapshots, and on the test half only (the tune half is for adjusting the ranking).
# The test half measured, hybrid, after issue #10 parts 2-6 (thesaurus, numbers, three tiers):
# hit@5 0.940, MRR 0.841, nDCG@5 0.840; tiers: answerable 96% high / 4% medium / 0% low, out of
# scope 33% / 44% / 22% (so "low_confidence", which means low, flags 4 of 18 out-of-scope
# queries); "strong match" right 24 of 24; the best passage shown 10 of 15. The floors sit a little
# below, about one query's worth, for harmless reorderings. The tier goal (out of scope medium or
# low >= 90%, met on tune) is not met on test: its floor holds what test gives, not the goal.
FLOORS = {"hit@5": 0.91, "MRR": 0.81, "nDCG@5": 0.81}
OUT_OF_SCOPE_FLAGGED_FLOOR = 0.16  # low
OUT_OF_SCOPE_NOT_HIGH_FLOOR = 0.60  # medium or low
IN_SCOPE_FLAGGED_CEILING = 0.03  # low: at most 2 of 83
STRONG_PRECISION_FLOOR = 0.90
BEST_PASSAGE_FLOOR = 0.60


@pytest.fixture(scope="module")
def dev_report(searcher):
    return evaluate_halves(searcher, load_queries(), modes=("dense", "hybrid"))


def _test_half(report, mode):
    return report["halves"][mode]["test"]


def test_dev_set_is_big_and_varied():
    queries = load_queries()
    kinds = {q["kind"] for q in queries}
    assert sum(is_answerable(q) for q in queries) >= 150
    assert sum(q["kind"] == "out_of_scope" for q in queries) >= 30
    assert kinds >= {"paraphrase", "keyword", "long", "acronym", "typo", "situational", "number", "synonym",
                     "out_of_scope"}
    assert all(any(r["grade"] == 2 for r in q["relevant"]) for q in queries if q["kind"] != "out_of_scope")
    assert all(q["relevant"] == [] for q in queries if q["kind"] == "out_of_scope")
    ids = [q["id"] for q in queries]
    assert len(ids) == len(set(ids)) and {f"d{n:03d}" for n in range(1, 74)} <= set(ids)  # the first 73 kept


@pytest.mark.slow
def test_graded_units_exist_in_the_seed(searcher):
    for q in load_queries():
        for r in q["relevant"]:
            record = searcher.catalog.question(r.get("source", "coproduction-qi-webinar-qa"), r["question"])
            assert record is not None and record.answer_of(r["speaker"]) is not None, (q["id"], r)
            assert r["grade"] in (1, 2)


# -- the split ---------------------------------------------------------------------------------------
def test_every_query_has_a_split_and_the_halves_are_disjoint():
    queries = load_queries()
    assert all(q.get("split") in SPLITS for q in queries)
    parts = halves(queries)
    tune, test = ({q["id"] for q in parts[s]} for s in SPLITS)
    assert not tune & test and len(tune) + len(test) == len(queries)
    for s in SPLITS:
        assert sum(is_answerable(q) for q in parts[s]) >= 75
        assert sum(not is_answerable(q) for q in parts[s]) >= 15


def test_kinds_are_spread_over_both_halves():
    queries = load_queries()
    by_kind = Counter(q["kind"] for q in queries)
    for kind, n in by_kind.items():
        in_test = sum(q["kind"] == kind and q["split"] == "test" for q in queries)
        assert abs(2 * in_test - n) <= 1, kind  # stratified: half of each kind, give or take one


def test_the_split_is_never_drawn_again():
    queries = load_queries()
    assert assign_splits(queries) == queries  # queries with a split keep it
    fresh = [{k: v for k, v in q.items() if k != "split"} for q in queries]
    assert assign_splits(fresh) == assign_splits(fresh)  # a fixed seed
    # A query added later gets a half; nobody else moves.
    grown = assign_splits(queries + [{"id": "x1", "query": "q", "kind": "keyword", "relevant": []}])
    assert grown[:-1] == queries and grown[-1]["split"] in SPLITS


# -- the bootstrap -----------------------------------------------------------------------------------
def test_bootstrap_interval_brackets_the_mean_and_is_repeatable():
    values = [1.0] * 30 + [0.0] * 10
    low, high = bootstrap_ci(values)
    assert low < 0.75 < high and 0.5 < low and high < 0.95
    assert bootstrap_ci(values) == (low, high)  # fixed seed
    assert bootstrap_ci(values, seed=1) != (low, high)


def test_bootstrap_interval_of_constant_or_no_values():
    assert bootstrap_ci([0.5] * 20) == (0.5, 0.5)
    assert bootstrap_ci([]) is None


def test_bootstrap_interval_narrows_with_more_queries():
    small = bootstrap_ci([1.0, 0.0] * 10)
    big = bootstrap_ci([1.0, 0.0] * 200)
    assert big[1] - big[0] < small[1] - small[0]
    assert 0.40 < big[0] < 0.5 < big[1] < 0.60


def test_bootstrap_ratio_interval():
    # Each query: (hits in a relevant unit, hits); pooled 15 / 20.
    low, high = bootstrap_ratio_ci([3, 2, 1, 4, 5] * 2, [4, 2, 2, 4, 8] * 2)
    assert low < 0.75 < high
    assert bootstrap_ratio_ci([0, 0], [0, 0]) is None


# -- how easy the set is, and the labels -------------------------------------------------------------
def test_content_word_share_takes_the_best_answer():
    # "pay experts by experience" -> pay, expert, experi; the second answer holds all three.
    assert content_word_share("how do we pay experts by experience", ["we pay staff", "paying experts by experience"]) == 1
    assert content_word_share("how do we pay experts by experience", ["training"]) == 0
    assert content_word_share("how do we", ["anything"]) is None


def test_best_answer_texts_are_the_grade_two_answers(searcher):
    texts = best_answer_texts(searcher.catalog, [{"question": 9, "speaker": "AC", "grade": 2},
                                                 {"question": 13, "speaker": "SK", "grade": 1}])
    assert len(texts) == 1 and "NHS banding" in texts[0]


def test_label_precision_on_hand_made_records():
    records = [
        {"answerable": True, "labels": [("strong match", True), ("good match", False), ("weak match", False)]},
        {"answerable": True, "labels": [("strong match", True), ("good match", True)]},
        {"answerable": False},
    ]
    table = label_precision(records)
    assert table["strong match"]["precision"] == 1 and table["strong match"]["hits"] == 2
    assert table["good match"]["precision"] == 0.5
    assert table["weak match"]["precision"] == 0 and table["partial match"]["precision"] is None


def test_report_has_both_halves_shares_and_labels(dev_report):
    for mode in ("dense", "hybrid"):
        for s in SPLITS:
            figure = dev_report["halves"][mode][s]["metrics"]["MRR"]
            assert figure["ci95"][0] <= figure["value"] <= figure["ci95"][1]
    for s in SPLITS:
        share = dev_report["content_word_share"][s]
        assert share["n"] >= 75 and 0 < share["median"] < 1
        assert set(dev_report["label_precision"][s]) == set(LABELS)


# -- floors on the test half -------------------------------------------------------------------------
@pytest.mark.parametrize("metric", sorted(FLOORS))
def test_shipped_pipeline_keeps_its_floor(dev_report, metric):
    assert _test_half(dev_report, "hybrid")["metrics"][metric]["value"] >= FLOORS[metric]


def test_hybrid_beats_dense_alone(dev_report):
    hybrid, dense = _test_half(dev_report, "hybrid")["metrics"], _test_half(dev_report, "dense")["metrics"]
    assert hybrid["MRR"]["value"] > dense["MRR"]["value"] and hybrid["nDCG@5"]["value"] > dense["nDCG@5"]["value"]


def test_low_confidence_flags(dev_report):
    hybrid = _test_half(dev_report, "hybrid")
    assert hybrid["out_of_scope_flagged"]["value"] >= OUT_OF_SCOPE_FLAGGED_FLOOR
    assert hybrid["in_scope_flagged"]["value"] <= IN_SCOPE_FLAGGED_CEILING


def test_confidence_tiers(dev_report):
    tiers = _test_half(dev_report, "hybrid")["tiers"]
    assert tiers["out_of_scope"]["medium"] + tiers["out_of_scope"]["low"] >= OUT_OF_SCOPE_NOT_HIGH_FLOOR
    assert tiers["answerable"]["low"] <= IN_SCOPE_FLAGGED_CEILING
    for group in ("answerable", "out_of_scope"):
        assert sum(tiers[group][t] for t in ("high", "medium", "low")) == pytest.approx(1)


def test_strong_match_is_earned(dev_report):
    strong = dev_report["label_precision"]["test"]["strong match"]
    assert strong["hits"] >= 10 and strong["precision"] >= STRONG_PRECISION_FLOOR


def test_cards_show_the_best_passage(dev_report):
    best = _test_half(dev_report, "hybrid")["best_passage"]
    assert best["n"] >= 15 and best["value"] >= BEST_PASSAGE_FLOOR


def test_evaluate_keeps_its_shape_for_existing_callers(searcher, dev_report):
    test = halves(load_queries())["test"]
    result = evaluate(searcher, test, "hybrid")
    assert set(result) >= {"mode", "metrics", "out_of_scope_flagged", "in_scope_flagged", "misses_at_5"}
    assert result["metrics"]["all"]["MRR"] == pytest.approx(_test_half(dev_report, "hybrid")["metrics"]["MRR"]["value"])


def test_metrics_on_a_hand_worked_ranking():
    relevant = [{"question": 9, "speaker": "AC", "grade": 2}, {"question": 13, "speaker": "SK", "grade": 1}]
    seed = "coproduction-qi-webinar-qa"
    m = query_metrics([(seed, 13, "SK"), (seed, 9, "AC"), (seed, 1, "AC")], relevant)
    assert m["hit@1"] == 0 and m["hit@5"] == 1 and m["MRR"] == 0.5
    ideal = 2 + 1 / 1.584962500721156
    assert m["nDCG@5"] == pytest.approx((1 + 2 / 1.584962500721156) / ideal)


def test_ranked_units_keeps_first_appearance(searcher):
    hits = searcher.search("training", k=20)
    units = ranked_units(hits)
    assert len(units) == len(set(units)) and units[0] == (hits[0].source, hits[0].question_number, hits[0].speaker)


def test_units_name_their_document():
    # Q9 AC of another document is not the seed's Q9 AC: a unit without its document would score it.
    relevant = [{"question": 9, "speaker": "AC", "grade": 2}]
    assert query_metrics([("other-talk", 9, "AC")], relevant)["hit@5"] == 0
    assert query_metrics([("other-talk", 9, "AC")], [{**relevant[0], "source": "other-talk"}])["hit@5"] == 1


def test_typo_repair_uses_corpus_words_and_spares_real_words():
    lex = Lexicon(["experts by experience need training in quality improvement"],
                  known_words=frozenset({"leaving"}))
    assert lex.correct("trainning for expers by experiance") == "training for experts by experience"
    assert lex.correct("people leaving the ward") == "people leaving the ward"


def test_bm25_scores_and_coverage():
    lex = Lexicon(["paying experts by experience", "safe and brave space", "training for staff"])
    scores = lex.scores("how do we pay experts")
    assert scores.argmax() == 0 and scores[1] == 0
    anywhere, in_row = lex.coverage("pension for experts", 0)
    assert 0 < in_row <= anywhere < 1
    assert lex.scores("zzz qqq").max() == 0


def test_acronyms_expand_in_queries():
    glossary = {"EBE": "Expert by Experience", "MBU": "Mother and Baby Unit"}
    assert expand_acronyms("paying EBEs at an mbu", glossary) == \
        "paying EBEs at an mbu (Expert by Experience; Mother and Baby Unit)"
    assert expand_acronyms("no acronyms here", glossary) == "no acronyms here"


def test_glossary_derives_definitions_from_text(seed_doc):
    texts = [a.text for q in seed_doc.questions for a in q.answers]
    assert derive(texts)["LXP"] == "Lived experience"
    glossary = build_glossary(texts)
    assert {"EBE", "QI", "HCP", "NHSE/I", "CCG", "ELFT", "BSMHFT", "RCPSYCH", "LXP"} <= set(glossary)
    assert find_acronyms("EBEs and HCPs at ELFT", glossary) == ["EBE", "HCP", "ELFT"]


def test_acronym_query_finds_its_expansion(searcher):
    hits = searcher.search("MBU diverse families", k=3)
    assert hits[0].question_number == 3  # "Mother and Baby units" never appears as MBU in the text


def test_long_query_gets_a_notice(searcher):
    result = searcher.query("co-production " * 2000)
    assert result.notice and "characters" in result.notice and result.hits


# -- the eval command --------------------------------------------------------------------------------
@pytest.mark.slow
def test_eval_json_keeps_its_keys_and_adds_the_halves(built_index, capsys):
    from panelsearch.cli import main

    corpus, index = built_index
    assert main(["eval", "--json", "--index", str(index), "--corpus", str(corpus)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert {"queries", "results", "halves", "content_word_share", "label_precision", "bootstrap"} <= set(report)
    assert [r["mode"] for r in report["results"]] == ["bm25", "dense", "hybrid"]
    assert set(report["results"][0]) >= {"mode", "metrics", "out_of_scope_flagged", "in_scope_flagged", "misses_at_5"}
    assert set(report["halves"]["bm25"]) == set(SPLITS)


@pytest.mark.slow
def test_eval_text_and_a_set_without_halves(built_index, tmp_path, capsys):
    from panelsearch.cli import main

    corpus, index = built_index
    assert main(["eval", "--index", str(index), "--corpus", str(corpus)]) == 0
    out = capsys.readouterr().out
    assert "tune (" in out and "test (" in out and "content words" in out and "strong match" in out
    own = tmp_path / "own.json"
    own.write_text(json.dumps([{"id": "a", "query": "paying experts by experience", "kind": "keyword",
                                "relevant": [{"question": 9, "speaker": "AC", "grade": 2}]},
                               {"id": "b", "query": "sepsis screening", "kind": "out_of_scope", "relevant": []}]))
    assert main(["eval", "--queries", str(own), "--misses", "--index", str(index), "--corpus", str(corpus)]) == 0
    out = capsys.readouterr().out
    assert "no tune/test split" in out and "missed at 5 by hybrid" in out


# A second Q&A on an unrelated subject (issue #10): the seed's queries must not pay for it.
UNRELATED_MD = """# Running a hospital volunteer car scheme: questions and answers

## 1. How far ahead should patients book a volunteer driver?

**DM:** Two working days. Shorter notice works when a driver is free, but we never promise it.

## 2. Do volunteer drivers get their mileage back?

**RP:** Yes, at the national mileage rate, paid monthly against a simple log.

**DM:** And parking charges at the hospital are refunded on the day with a receipt.

## 3. What checks do new drivers need?

**RP:** A licence check, insurance that covers volunteering, and an enhanced DBS check.

## 4. Can a driver wait at the hospital for the patient?

**DM:** Up to two hours; past that we arrange a second trip so no driver waits all day.
"""


@pytest.mark.slow
def test_a_second_unrelated_document_costs_the_seed_little_mrr(tmp_path, built_index, embedder):
    from panelsearch.evaluate import evaluate, load_queries
    from panelsearch.search import Searcher
    from tests.conftest import seed_plus

    corpus, index = seed_plus(tmp_path, built_index, embedder, {"volunteer-drivers.md": UNRELATED_MD})
    queries = [q for q in load_queries() if q["relevant"]]
    alone = evaluate(Searcher.load(built_index[1], embedder=embedder, corpus_dir=built_index[0]), queries)
    both = evaluate(Searcher.load(index, embedder=embedder, corpus_dir=corpus), queries)
    drop = alone["metrics"]["all"]["MRR"] - both["metrics"]["all"]["MRR"]
    assert drop <= 0.05, (alone["metrics"]["all"]["MRR"], both["metrics"]["all"]["MRR"])
