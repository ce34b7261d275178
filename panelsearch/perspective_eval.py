"""How good the perspectives are (issue #12): the stored topics against a hand grouping, and the
"Both said" pairs against hand labels. ``python -m panelsearch eval --topics --agreement`` prints both.

* Topics: the adjusted Rand index (ARI) between the topics stored with the index (topics.json) and
  tests/data/topics_by_hand.json (one reader's grouping of the seed's 20 answers into six topics,
  written before any topic was computed; docs/topics.md). 1 is the same grouping, 0 what chance gives.
* Agreement: precision and recall of agree.py's "Both said" pairs against
  tests/data/agreement_labels.json, scored by ``agree.score`` (docs/agreement.md).

Both hand files are about the seed document: for a library without it there is nothing to compare
and the figures are None, with the reason.
"""
from __future__ import annotations

import json
from pathlib import Path

from .agree import THRESHOLD, agreements, score
from .config import ROOT
from .topics import AnswerKey, Topics

TOPICS_BY_HAND = ROOT / "tests" / "data" / "topics_by_hand.json"
AGREEMENT_LABELS = ROOT / "tests" / "data" / "agreement_labels.json"


def hand_assignment(path: Path = TOPICS_BY_HAND) -> dict[AnswerKey, int]:
    """{(source, question number, speaker): hand topic index} from a hand grouping file."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return {(data["source"], int(n), s): t for t, topic in enumerate(data["topics"]) for n, s in topic["answers"]}


def adjusted_rand(a: list, b: list) -> float:
    """The adjusted Rand index of two labellings of the same items (scikit-learn's)."""
    from sklearn.metrics import adjusted_rand_score

    return float(adjusted_rand_score(a, b))


def topics_ari(topics: Topics, hand: Path | dict[AnswerKey, int] = TOPICS_BY_HAND) -> dict:
    """The ARI between ``topics`` and a hand grouping, over the answers both hold.

    Returns {"ari", "answers" (compared), "hand_answers", "topics", "hand_topics", "k", "file", "note"};
    "ari" is None when fewer than two answers are in both.
    """
    file = str(hand) if not isinstance(hand, dict) else ""
    hand = hand if isinstance(hand, dict) else hand_assignment(hand)
    mine = topics.assignments()
    keys = sorted(k for k in hand if k in mine)
    out = {"ari": None, "answers": len(keys), "hand_answers": len(hand), "topics": len(topics),
           "hand_topics": len(set(hand.values())), "k": topics.method.get("k"), "file": file, "note": ""}
    if len(keys) < 2:
        out["note"] = "the library does not hold the answers the hand grouping is about"
        return out
    out["ari"] = round(adjusted_rand([hand[k] for k in keys], [mine[k] for k in keys]), 4)
    if len(keys) < len(hand):
        out["note"] = f"{len(hand) - len(keys)} answers of the hand grouping are not in the library"
    return out


def agreement_scores(questions, embedder, labels: Path | dict = AGREEMENT_LABELS,
                     threshold: float = THRESHOLD) -> dict:
    """Precision and recall of "Both said" against hand labels (``agree.score``).

    Args:
        questions: QuestionRecords, or a Catalog (``searcher.catalog``).
        embedder: the model (``searcher.embedder``).
        labels: the labels file, or its content.
        threshold: least similarity for "Both said" (agree.THRESHOLD, as the page uses).
    Returns:
        agree.score's {"predicted", "right", "related", "possible", "precision", "recall"} plus
        "threshold", "questions" (labelled), "file" and "note"; precision and recall are None when
        the library does not hold the labelled questions.
    """
    file = str(labels) if not isinstance(labels, dict) else ""
    labels = labels if isinstance(labels, dict) else json.loads(Path(labels).read_text(encoding="utf-8"))
    numbers = {q["number"] for q in labels["questions"]}
    records = [q for q in getattr(questions, "questions", questions)
               if q.source == labels["source"] and q.number in numbers]
    out = {"threshold": threshold, "questions": len(numbers), "file": file, "note": ""}
    try:
        found = score(agreements(records, embedder, threshold), labels)
    except ValueError as err:  # the labelled questions are not in the library, or read differently
        return {**out, "predicted": 0, "right": 0, "related": 0, "possible": 0, "precision": None, "recall": None,
                "note": f"nothing to compare: {err}"}
    return {**out, **{k: round(v, 4) if isinstance(v, float) else v for k, v in found.items()}}


def evaluate_perspectives(searcher, topics: bool = True, agreement: bool = True) -> dict:
    """{"topics": topics_ari(the stored topics), "agreement": agreement_scores(...)}, those asked for."""
    out = {}
    if topics:
        out["topics"] = topics_ari(searcher.topics)
    if agreement:
        out["agreement"] = agreement_scores(searcher.catalog, searcher.embedder)
    return out


def format_perspectives(report: dict) -> str:
    """The figures of evaluate_perspectives as text."""
    lines = []
    t = report.get("topics")
    if t is not None:
        lines.append(f"topics (stored with the index) against {Path(t['file']).name or 'the hand grouping'}:")
        if t["ari"] is None:
            lines.append(f"  adjusted Rand index: n/a ({t['note']})")
        else:
            lines.append(f"  adjusted Rand index {t['ari']:.3f} over {t['answers']} answers: "
                         f"{t['topics']} topics (k={t['k']}) against {t['hand_topics']} by hand"
                         + (f"; {t['note']}" if t["note"] else ""))
    a = report.get("agreement")
    if a is not None:
        lines.append(f"agreement (\"Both said\", threshold {a['threshold']:.2f}) against "
                     f"{Path(a['file']).name or 'the hand labels'}:")
        if a["precision"] is None:
            lines.append(f"  precision and recall: n/a ({a['note']})")
        else:
            lines.append(f"  precision {a['precision']:.2f} ({a['right']} of {a['predicted']} pairs shown are right), "
                         f"recall {a['recall']:.2f} ({a['right']} of {a['possible']} findable pairs found); "
                         f"{a['related']} shown {'pair is' if a['related'] == 1 else 'pairs are'} labelled "
                         "related, not the same point")
    return "\n".join(lines)
