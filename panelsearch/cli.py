"""Command line: python -m panelsearch build | parse | search | compare | eval | bench.

The library raises; this module turns errors into one line on stderr and an exit code
(1: missing, stale or unreadable input; 2: bad usage).
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Mapping

from . import cli_commands as commands
from .cli_feedback import cmd_feedback
from .cli_output import shown
from .cli_pack import cmd_pack
from .config import DEFAULT_K, Settings
from .errors import PanelsearchError, UsageError


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse's own errors: one line, exit 2
        raise UsageError(f"{message} (see: python -m {' '.join(['panelsearch', *self.prog.split()[1:]])} --help)")


def _positive_int(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {value!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"expected at least 1, got {n}")
    return n


def build_parser(settings: Settings = Settings()) -> argparse.ArgumentParser:
    """The CLI's arguments; ``settings`` gives the folders used when a flag does not name one."""
    parser = _Parser(prog="panelsearch", description="Search what a panel of experts said.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("build", help="build the index from the corpus folder")
    p.add_argument("--corpus", type=Path, default=settings.corpus)
    p.add_argument("--index", type=Path, default=settings.index)
    p.add_argument("--model", default=None, help="model name or local path (default all-MiniLM-L6-v2, bundled)")
    p.add_argument("--if-stale", action="store_true", help="only build if the index is missing or stale")
    p.add_argument("--full", action="store_true", help="re-embed everything instead of reusing unchanged vectors")
    p.add_argument("--quiet", action="store_true", help="no progress bars (they are drawn only on a terminal anyway)")

    p = sub.add_parser("add", help="add documents (.txt .md .pdf .docx) to the corpus and update the index")
    p.add_argument("files", nargs="+", type=Path)
    p.add_argument("--corpus", type=Path, default=settings.corpus)
    p.add_argument("--index", type=Path, default=settings.index)
    p.add_argument("--json", action="store_true")
    p.add_argument("--quiet", action="store_true", help="no progress bars")

    p = sub.add_parser("remove", help="take a document out of the corpus and the index")
    p.add_argument("name", help="its file name (talk.pdf) or document name (talk)")
    p.add_argument("--corpus", type=Path, default=settings.corpus)
    p.add_argument("--index", type=Path, default=settings.index)
    p.add_argument("--quiet", action="store_true", help="no progress bars")

    p = sub.add_parser("parse", help="parse one document and print its questions and answers")
    p.add_argument("file", type=Path)
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("search", help="search the index")
    p.add_argument("query", nargs="?")
    p.add_argument("--batch", metavar="FILE", help="one query a line; '-' reads standard input")
    p.add_argument("--index", type=Path, default=settings.index)
    p.add_argument("--corpus", type=Path, default=None, help="corpus to check freshness against")
    p.add_argument("-k", type=_positive_int, default=DEFAULT_K, help="number of passages (default 5)")
    p.add_argument("--speaker", action="append", default=None, help="only this speaker (repeatable)")
    p.add_argument("--document", action="append", default=None, help="only this document (repeatable)")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("compare", help="each speaker's best passages, side by side")
    p.add_argument("query")
    p.add_argument("--index", type=Path, default=settings.index)
    p.add_argument("--corpus", type=Path, default=None)
    p.add_argument("-k", type=_positive_int, default=3)
    p.add_argument("--document", action="append", default=None, help="only this document (repeatable)")
    p.add_argument("--json", action="store_true")
    p = sub.add_parser("eval", help="measure retrieval quality on a graded query set")
    p.add_argument("--queries", type=Path, default=None, help="graded queries (default tests/data/dev_queries.json)")
    p.add_argument("--index", type=Path, default=settings.index)
    p.add_argument("--corpus", type=Path, default=None)
    p.add_argument("--json", action="store_true")
    p.add_argument("--misses", action="store_true", help="list in-scope queries missed at 5")
    p.add_argument("--topics", action="store_true", help="also: the stored topics against the hand grouping (ARI)")
    p.add_argument("--agreement", action="store_true", help='also: "Both said" against the hand labels (P/R)')
    p.add_argument("--feedback", action="store_true",
                   help="instead: how the ranking places the passages readers marked (see: feedback)")
    p.add_argument("--data", type=Path, default=settings.data,
                   help="with --feedback: data folder (default $PANELSEARCH_DATA or ./data)")

    p = sub.add_parser("bench", help="search latency: p50/p95 beside the encode + FAISS floor")
    p.add_argument("--index", type=Path, default=settings.index)
    p.add_argument("--corpus", type=Path, default=None)
    p.add_argument("--rounds", type=_positive_int, default=5)
    p.add_argument("--scale", action="store_true", help="build and search synthetic libraries of 10k-1M passages")
    p.add_argument("--sizes", default=None, help="with --scale: comma-separated sizes (default 10000,100000,1000000)")
    p.add_argument("--time-cap", type=float, default=None, help="with --scale: seconds allowed per size")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("pack", help="saved discussion packs: list, show, export as a handout")
    packs = p.add_subparsers(dest="pack_command", required=True, parser_class=_Parser)
    q = packs.add_parser("list", help="every saved pack, most recently changed first")
    q.add_argument("--json", action="store_true")
    q = packs.add_parser("show", help="one pack's passages, notes and prompts")
    q.add_argument("id")
    q.add_argument("--json", action="store_true")
    q = packs.add_parser("export", help="write a pack as a Word or Markdown handout")
    q.add_argument("id")
    q.add_argument("--format", choices=("docx", "md"), default="docx")
    q.add_argument("-o", "--output", type=Path, default=None, help="file to write ('-': standard output)")
    q.add_argument("--agreement", action="store_true",
                   help="add where the panelists agree, for each question two or more answered (uses the model)")
    for q in packs.choices.values():
        q.add_argument("--data", type=Path, default=settings.data, help="data folder (default $PANELSEARCH_DATA or ./data)")
        if q.prog.split()[-1] != "list":
            q.add_argument("--index", type=Path, default=settings.index, help="library to check the items against")

    p = sub.add_parser("feedback", help="readers' verdicts on passages: list, export for review, clear")
    marks = p.add_subparsers(dest="feedback_command", required=True, parser_class=_Parser)
    q = marks.add_parser("list", help="every query readers marked, with the verdicts on each passage")
    q.add_argument("--json", action="store_true")
    q = marks.add_parser("export", help="write candidate graded queries (dev set format) for a person to review")
    q.add_argument("-o", "--output", type=Path, default=None, help="file to write (default or '-': standard output)")
    q.add_argument("--index", type=Path, default=settings.index, help="library to take the passages' text from")
    q = marks.add_parser("clear", help="remove every verdict (export and review them first)")
    q.add_argument("--yes", action="store_true", help="yes, remove them")
    for q in marks.choices.values():
        q.add_argument("--data", type=Path, default=settings.data, help="data folder (default $PANELSEARCH_DATA or ./data)")
    return parser


def main(argv: list[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    """Run one command. The entry point: the only place the CLI reads environment variables
    (``environ``, by default ``os.environ``; see ``config.Settings.from_environ``).

    Args:
        argv: the arguments after the program name (default ``sys.argv[1:]``).
        environ: the environment to take the settings from.
    Returns:
        The exit code: 0, 1 (missing, stale or unreadable input) or 2 (bad usage).
    """
    try:
        settings = Settings.from_environ(os.environ if environ is None else environ)
        args = build_parser(settings).parse_args(argv)
        args.settings = settings
        return COMMANDS[args.command](args)
    except PanelsearchError as err:
        print(f"panelsearch: error: {shown(str(err))}", file=sys.stderr)
        return err.exit_code
    except BrokenPipeError:  # output piped into `head` and closed early: not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as err:
        where = f"{err.filename}: " if err.filename else ""
        print(f"panelsearch: error: {where}{err.strerror or err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("panelsearch: interrupted", file=sys.stderr)
        return 130


COMMANDS = {"build": commands.cmd_build, "parse": commands.cmd_parse, "search": commands.cmd_search,
            "compare": commands.cmd_compare, "eval": commands.cmd_eval, "bench": commands.cmd_bench,
            "add": commands.cmd_add, "remove": commands.cmd_remove, "pack": cmd_pack,
            "feedback": cmd_feedback}
