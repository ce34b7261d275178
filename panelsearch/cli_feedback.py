"""``python -m panelsearch feedback list|export|clear`` and ``eval --feedback``: readers' verdicts
("this helped", "not this") from the command line. They live in the data folder's SQLite file,
beside the saved packs (feedback.py)."""
from __future__ import annotations

import json
import sys

from .cli_output import shown
from .errors import PanelsearchError, UsageError


def _library(index) -> dict | None:
    """passage id -> Passage of the library at ``index``, or None (with a note) when there is none."""
    try:
        from .index_load import load_index

        return {p.passage_id: p for p in load_index(index).passages}
    except PanelsearchError as err:
        print(f"panelsearch: note: passages not looked up in a library ({shown(str(err))})", file=sys.stderr)
        return None


def cmd_feedback(args) -> int:
    from .feedback import HELPED, NOT_THIS, Feedback, candidates, export

    store = Feedback(args.data)
    if args.feedback_command == "list":
        found = candidates(store.marks())
        if args.json:
            print(json.dumps([{"query": c.query, "passages": {pid: dict(v) for pid, v in c.votes.items()},
                               "first_marked": c.first, "last_marked": c.last} for c in found],
                             ensure_ascii=False, indent=2))
            return 0
        total = sum(sum(v.values()) for c in found for v in c.votes.values())
        print(f"{total} verdict{'s' if total != 1 else ''} on {len(found)} quer{'ies' if len(found) != 1 else 'y'} "
              f"in {store.path}")
        for c in found:
            print()
            print(shown(f"\"{c.query}\"  (last {c.last})"))
            for pid, v in c.votes.items():
                print(shown(f"  {v[HELPED]:>3} helped  {v[NOT_THIS]:>3} not this  {pid}"))
        return 0
    if args.feedback_command == "clear":
        if not args.yes:
            raise UsageError("clear removes every verdict for good: export them first, then add --yes")
        gone = store.clear()
        print(f"removed {gone} verdict{'s' if gone != 1 else ''} from {store.path}")
        return 0
    marks = store.marks()
    data = export(marks, _library(args.index))
    text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    if args.output is None or str(args.output) == "-":
        sys.stdout.write(text)
        return 0
    args.output.write_text(text, encoding="utf-8")
    print(shown(f"wrote {args.output}: {len(data['queries'])} candidate queries from {len(marks)} verdicts, "
                "for a person to review before any joins the dev set"))
    return 0


def cmd_eval_feedback(args) -> int:
    """``eval --feedback``: how the current ranking places the passages readers marked."""
    from .cli_commands import searcher_for
    from .feedback import Feedback, format_ranks, rank_marks

    store = Feedback(args.data)
    marks = store.marks()
    if not marks:
        print(f"no feedback recorded in {store.path} yet")
        return 0
    report = rank_marks(searcher_for(args), marks)
    if args.json:
        print(json.dumps({"feedback": str(store.path), **report}, ensure_ascii=False, indent=2))
    for line in [] if args.json else format_ranks(report).splitlines():
        print(shown(line))
    return 0
