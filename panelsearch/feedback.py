"""Readers' feedback: "this helped" or "not this" on a result card, kept in the data folder's SQLite
file beside the saved packs (store.py's ``Database``), and what it gives back: candidate graded
queries for a person to review before any joins the dev set (``export``), and how the current
ranking places the passages readers marked (``rank_marks``).

A row holds the query (as searched), the passage id, the verdict and the time (UTC, to the
second): nothing about the reader, no address, no session, no browser. The page keeps the id of the
row a click made, so the same reader can change or take back that verdict; once the session ends
nothing ties a row to anyone.

Bounds: a query is cut to ``QUERY_MAX_CHARS`` (what a search reads of it); a passage id must have
the shape ``models.passage_id`` makes and at most ``MAX_PASSAGE_ID_CHARS`` characters; the file holds
at most ``MAX_FEEDBACK_ROWS`` rows. At the cap new feedback is refused (``FeedbackFull``; the page says
so) and every row already stored stays: `feedback export`, a review and `feedback clear --yes` make
room. Refusing rather than dropping the oldest means a flood cannot push out what readers said.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable, Mapping

from .config import QUERY_MAX_CHARS
from .errors import UsageError
from .models import Record
from .store import Database, StoreError, now
from .text import clean_text

HELPED, NOT_THIS = "helped", "not_this"
VERDICTS = (HELPED, NOT_THIS)
MAX_FEEDBACK_ROWS = 100_000  # about 100 MB at most (1,000-character queries); a year of a busy page
MAX_PASSAGE_ID_CHARS = 300
GRADE = 2  # what a majority of "this helped" proposes; the reviewer lowers it to 1 for mere support
DEPTH = 50  # passages searched per query when ranking the marks (as evaluate.py)
TOP = 5
_PASSAGE_ID = re.compile(r"(?P<source>.+):q(?P<number>\d+):(?P<speaker>[^:\s]+):(?P<part>\d+|all)")

NOTE = ("Candidate graded queries from readers' feedback on the page ('this helped' / 'not this'). They are "
        "NOT part of the dev set: a person reviews each candidate (the query, each passage, the grade: 2 answers "
        "the query directly, 1 is useful support), sets its kind, and only then adds it to "
        "tests/data/dev_queries.json, where evaluate.assign_splits gives it a half. 'relevant' holds the "
        "(question, speaker) units of passages most readers said helped, at grade 2; 'not_relevant' the passages "
        "most said were not it; 'disputed' the passages with as many of each. A candidate with nothing in "
        "'relevant' reads, to `panelsearch eval`, as an out-of-scope query.")


class FeedbackFull(StoreError):
    """The store holds MAX_FEEDBACK_ROWS rows: new feedback is refused until some are cleared."""


@dataclass(frozen=True)
class Mark(Record):
    """One reader's verdict on one passage for one query."""
    id: int
    query: str
    passage_id: str
    verdict: str
    at: str  # ISO 8601, UTC


def clean_query(query) -> str:
    """The query as stored: clean, on one line, cut to what a search reads; UsageError if empty."""
    if not isinstance(query, str):
        raise UsageError("the query must be text")
    query = " ".join(clean_text(query).split())[:QUERY_MAX_CHARS].strip()
    if not query:
        raise UsageError("feedback needs the query it is about")
    return query


def query_key(query: str) -> str:
    """What makes two queries the same candidate: case and spacing aside."""
    return " ".join(query.split()).casefold()


def passage_unit(passage_id: str) -> tuple[str, int, str]:
    """(source, question number, speaker) of ``<source>:q<NN>:<speaker>:<part>``; UsageError otherwise."""
    match = _PASSAGE_ID.fullmatch(passage_id) if isinstance(passage_id, str) else None
    if match is None or len(passage_id) > MAX_PASSAGE_ID_CHARS:
        raise UsageError(f"not a passage id: {str(passage_id)[:60]!r}")
    return match["source"], int(match["number"]), match["speaker"]


def _verdict(verdict) -> str:
    if verdict not in VERDICTS:
        raise UsageError(f"a verdict is {' or '.join(VERDICTS)}, not {str(verdict)[:20]!r}")
    return verdict


class Feedback(Database):
    """Readers' verdicts in ``<folder>/panelsearch.sqlite3`` (the packs' file)."""

    what = "feedback store"

    def record(self, query: str, passage_id: str, verdict: str) -> int:
        """Store one verdict; returns its row id (for ``change`` and ``withdraw``). FeedbackFull at the cap."""
        query, verdict = clean_query(query), _verdict(verdict)
        passage_unit(passage_id)
        with self.transaction() as conn:
            if conn.execute("SELECT COUNT(*) FROM feedback").fetchone()[0] >= MAX_FEEDBACK_ROWS:
                raise FeedbackFull(f"the feedback store holds {MAX_FEEDBACK_ROWS} verdicts, as many as it keeps; "
                                   "export and clear them to record more")
            return conn.execute("INSERT INTO feedback (query, passage_id, verdict, at) VALUES (?, ?, ?, ?)",
                                (query, passage_id, verdict, now("seconds"))).lastrowid

    def change(self, row_id: int, verdict: str) -> bool:
        """The reader thought again: the row's verdict and time; False if the row is gone (cleared)."""
        verdict = _verdict(verdict)
        with self.transaction() as conn:
            return bool(conn.execute("UPDATE feedback SET verdict = ?, at = ? WHERE id = ?",
                                     (verdict, now("seconds"), int(row_id))).rowcount)

    def withdraw(self, row_id: int) -> bool:
        """Take a verdict back; False if it was not there."""
        with self.transaction() as conn:
            return bool(conn.execute("DELETE FROM feedback WHERE id = ?", (int(row_id),)).rowcount)

    def marks(self) -> list[Mark]:
        """Every verdict, oldest first."""
        with self.reading() as conn:
            rows = conn.execute("SELECT id, query, passage_id, verdict, at FROM feedback ORDER BY id").fetchall()
        return [Mark(*r) for r in rows]

    def count(self) -> int:
        with self.reading() as conn:
            return conn.execute("SELECT COUNT(*) FROM feedback").fetchone()[0]

    def clear(self) -> int:
        """Remove every verdict (after an export has been reviewed); returns how many there were."""
        with self.transaction() as conn:
            return conn.execute("DELETE FROM feedback").rowcount


# -- what the marks add up to ----------------------------------------------------------------------
@dataclass
class Candidate:
    """One distinct query (case and spacing aside) and the verdicts on each passage for it."""
    query: str  # as most readers typed it
    votes: dict[str, Counter] = field(default_factory=dict)  # passage id -> Counter(verdict -> n)
    spellings: Counter = field(default_factory=Counter)
    first: str = ""
    last: str = ""

    def passages(self, side: str) -> list[str]:
        """The passages most readers said helped (HELPED), were not it (NOT_THIS), or split ("disputed")."""
        def side_of(c: Counter) -> str:
            return HELPED if c[HELPED] > c[NOT_THIS] else NOT_THIS if c[NOT_THIS] > c[HELPED] else "disputed"
        return [pid for pid, c in self.votes.items() if side_of(c) == side]


def candidates(marks: Iterable[Mark]) -> list[Candidate]:
    """The marks gathered per distinct query, in the order each query was first marked."""
    out: dict[str, Candidate] = {}
    for m in sorted(marks, key=lambda m: (m.at, m.id)):
        c = out.setdefault(query_key(m.query), Candidate(m.query, first=m.at))
        c.votes.setdefault(m.passage_id, Counter())[m.verdict] += 1
        c.spellings[m.query] += 1
        c.last = m.at
    for c in out.values():
        c.query = c.spellings.most_common(1)[0][0]
    return list(out.values())


def _unit_json(passage_id: str) -> dict:
    source, number, speaker = passage_unit(passage_id)
    return {"source": source, "question": number, "speaker": speaker}


def _passage_json(passage_id: str, votes: Counter) -> dict:
    return {**_unit_json(passage_id), "passage_id": passage_id, "helped": votes[HELPED], "not_this": votes[NOT_THIS]}


def candidate_json(c: Candidate, n: int) -> dict:
    """One candidate in the dev set's shape (query, kind, relevant units with grades) and the rest for review."""
    relevant: dict[tuple, dict] = {}
    for pid in c.passages(HELPED):
        unit = relevant.setdefault(tuple(_unit_json(pid).values()),
                                   {**_unit_json(pid), "grade": GRADE, "passage_ids": [], "helped": 0, "not_this": 0})
        unit["passage_ids"].append(pid)
        unit["helped"] += c.votes[pid][HELPED]
        unit["not_this"] += c.votes[pid][NOT_THIS]
    return {"id": f"f{n:03d}", "query": c.query, "kind": "feedback", "review": "pending",
            "relevant": list(relevant.values()),
            "not_relevant": [_passage_json(pid, c.votes[pid]) for pid in c.passages(NOT_THIS)],
            "disputed": [_passage_json(pid, c.votes[pid]) for pid in c.passages("disputed")],
            "marks": {HELPED: sum(v[HELPED] for v in c.votes.values()),
                      NOT_THIS: sum(v[NOT_THIS] for v in c.votes.values())},
            "first_marked": c.first, "last_marked": c.last}


def export(marks: Iterable[Mark], library: Mapping[str, object] | None = None) -> dict:
    """Every candidate, marked for review, in a file ``load_queries`` (and so `panelsearch eval`) reads.

    ``library`` (passage id -> Passage, from the index) adds each marked passage's question, speaker and
    text for the reviewer; a passage it does not hold is listed as no longer in the library."""
    marks = list(marks)
    found = candidates(marks)
    out = {"description": NOTE, "review": "pending", "exported": now("seconds"), "verdicts": len(marks),
           "queries": [candidate_json(c, n) for n, c in enumerate(found, start=1)]}
    if library is not None:
        out["passages"] = {}
        for pid in sorted({m.passage_id for m in marks}):
            p = library.get(pid)
            out["passages"][pid] = {"in_library": False} if p is None else {
                "in_library": True, "question": p.question, "speaker": p.speaker, "text": p.text}
    return out


# -- how the current ranking places them ----------------------------------------------------------
def rank_marks(searcher, marks: Iterable[Mark], depth: int = DEPTH) -> dict:
    """For each distinct query, one search (no filters, ``depth`` passages): each passage most readers
    said helped, its rank among the passages and its unit's among the distinct (question, speaker)
    units, as hit@1, hit@5 and MRR over those passages; and how many passages most said were not it
    still rank in the top 5. A passage beyond ``depth`` counts as a miss (rank None)."""
    rows = []
    for c in candidates(marks):
        hits = searcher.query(c.query, k=depth).hits
        ids = [h.passage_id for h in hits]
        units = list(dict.fromkeys((h.source, h.question_number, h.speaker) for h in hits))
        for side in (HELPED, NOT_THIS):
            for pid in c.passages(side):
                unit = passage_unit(pid)
                rows.append({"query": c.query, "passage_id": pid, "verdict": side,
                             "helped": c.votes[pid][HELPED], "not_this": c.votes[pid][NOT_THIS],
                             "rank": ids.index(pid) + 1 if pid in ids else None,
                             "unit_rank": units.index(unit) + 1 if unit in units else None})
    helped = [r for r in rows if r["verdict"] == HELPED]
    not_this = [r for r in rows if r["verdict"] == NOT_THIS]

    def figures(key: str) -> dict:
        ranks = [r[key] for r in helped]
        n = len(ranks)
        return {"hit@1": sum(r == 1 for r in ranks) / n if n else None,
                f"hit@{TOP}": sum(r is not None and r <= TOP for r in ranks) / n if n else None,
                "MRR": sum(1 / r for r in ranks if r) / n if n else None}

    return {"queries": len({query_key(r["query"]) for r in rows}), "depth": depth,
            "helped": {"n": len(helped), "passage": figures("rank"), "unit": figures("unit_rank")},
            "not_this": {"n": len(not_this), f"in_top_{TOP}": sum(r["rank"] is not None and r["rank"] <= TOP
                                                                 for r in not_this)},
            "marks": rows}


def format_ranks(report: dict) -> str:
    """``rank_marks``'s report for a person."""
    def pct(x):
        return "  -  " if x is None else f"{x:5.0%}"
    h, n = report["helped"], report["not_this"]
    lines = [f"readers' marks: {report['queries']} queries, {h['n']} passages most said helped, "
             f"{n['n']} most said were not it (searched {report['depth']} deep, no filters)"]
    for level in ("passage", "unit"):
        f = h[level]
        mrr = "  -  " if f["MRR"] is None else f"{f['MRR']:.3f}"
        lines.append(f"  'this helped' by {level:<7}  hit@1 {pct(f['hit@1'])}  hit@{TOP} {pct(f[f'hit@{TOP}'])}  "
                     f"MRR {mrr}")
    lines.append(f"  'not this' passages still in the top {TOP}: {n[f'in_top_{TOP}']} of {n['n']}")
    for r in report["marks"]:
        rank = "-" if r["rank"] is None else r["rank"]
        lines.append(f"    {r['verdict']:<8} rank {rank!s:>3}  {r['passage_id']}  \"{r['query']}\"")
    return "\n".join(lines)
