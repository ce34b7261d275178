"""How sure a search is, and how well each passage matches, in words a person reads.

The evidence a query gets (search.Searcher.evidence) falls in one of three tiers; each hit's label
("strong match" … "weak match") reads its score, the best score of its ranking and the tier. The
thresholds were chosen on the dev set's tune half (tests/data/dev_queries.json).
"""
from __future__ import annotations

# Confidence in three tiers, from evidence = the best hybrid score + 0.4 x (the IDF-weighted share
# of the query's own words found anywhere in the corpus + the share of the expanded query's words
# found in the best passage). "anywhere" reads the words as typed, since the thesaurus adds corpus
# words by design. Calibrated on the dev set's tune half (17 out-of-scope, 83 answerable queries):
# the medium threshold sits above every out-of-scope query (a 90% share estimated from 17 queries
# needs the margin), which leaves 5 answerable ones medium; the low one sits in the gap below the
# answerable queries but one (0.545 | 0.604), which flags 14 of the 17 out-of-scope ones low.
# Leave-one-out on tune: 82% of out-of-scope queries low, 1% of answerable ones (best hybrid score
# in place of best dense similarity: 82% against 65%).
COVERAGE_WEIGHT = 0.4
LOW_CONFIDENCE_BELOW = 0.575  # under it: "low", the panel did not answer this
MEDIUM_CONFIDENCE_BELOW = 0.65  # under it: "medium", passages shown under a caution
CONFIDENCE_TIERS = ("high", "medium", "low")


def tier(evidence: float) -> str:
    """"high", "medium" or "low" for a query's evidence."""
    if evidence < LOW_CONFIDENCE_BELOW:
        return "low"
    return "medium" if evidence < MEDIUM_CONFIDENCE_BELOW else "high"


# Relevance labels, calibrated on the dev set's tune half (top 5 hits of answerable queries; share
# in a relevant unit): strong 19 of 19 (a score of 0.52-0.57 was right only 9 times in 10, under
# the 90% "strong" must mean), good 0.45-0.58 about three in four, partial 0.33-0.45 two in five,
# weak under that one in six. Scores alone do not tell a query's best passage from its sixth; the
# label also reads the result: a passage far below the best is not "strong", and a result the
# panel answered only doubtfully (medium) or not at all (low) labels nothing above partial or weak.
STRONG_FROM = 0.58
STRONG_WITHIN = 0.10  # of the best hit's score
GOOD_FROM = 0.45
PARTIAL_FROM = 0.33
LABEL_CAP = {"high": "strong match", "medium": "partial match", "low": "weak match"}
LABEL_ORDER = ("weak match", "partial match", "good match", "strong match")


def relevance_label(score: float, best: float | None = None, confidence: str = "high") -> str:
    """A label a person can read for a hybrid score (not for a raw BM25 one).

    Args:
        score: the hit's hybrid score.
        best: the best score of the same ranking (default: this one); "strong" needs to be within
            STRONG_WITHIN of it.
        confidence: the result's tier; medium caps the label at "partial match", low at "weak match".
    """
    best = score if best is None else best
    if score >= STRONG_FROM and best - score <= STRONG_WITHIN:
        label = "strong match"
    elif score >= GOOD_FROM:
        label = "good match"
    elif score >= PARTIAL_FROM:
        label = "partial match"
    else:
        label = "weak match"
    cap = LABEL_CAP.get(confidence, "strong match")
    return min(label, cap, key=LABEL_ORDER.index)
