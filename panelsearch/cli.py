"""Command line: python -m panelsearch build | parse | search | compare | eval | bench.

The library raises; this module turns errors into one line on stderr and an exit code
(1: missing, stale or unreadable input; 2: bad usage).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path

from .config import DEFAULT_K, corpus_dir, index_dir
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


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="panelsearch", description="Search what a panel of experts said.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("build", help="build the index from the corpus folder")
    p.add_argument("--corpus", type=Path, default=corpus_dir())
    p.add_argument("--index", type=Path, default=index_dir())
    p.add_argument("--model", default=None, help="model name or local path (default all-MiniLM-L6-v2, bundled)")
    p.add_argument("--if-stale", action="store_true", help="only build if the index is missing or stale")
    p.add_argument("--full", action="store_true", help="re-embed everything instead of reusing unchanged vectors")
    p.add_argument("--quiet", action="store_true", help="no progress bars (they are drawn only on a terminal anyway)")

    p = sub.add_parser("add", help="add documents (.txt .md .pdf .docx) to the corpus and update the index")
    p.add_argument("files", nargs="+", type=Path)
    p.add_argument("--corpus", type=Path, default=corpus_dir())
    p.add_argument("--index", type=Path, default=index_dir())
    p.add_argument("--json", action="store_true")
    p.add_argument("--quiet", action="store_true", help="no progress bars")

    p = sub.add_parser("remove", help="take a document out of the corpus and the index")
    p.add_argument("name", help="its file name (talk.pdf) or document name (talk)")
    p.add_argument("--corpus", type=Path, default=corpus_dir())
    p.add_argument("--index", type=Path, default=index_dir())
    p.add_argument("--quiet", action="store_true", help="no progress bars")

    p = sub.add_parser("parse", help="parse one document and print its questions and answers")
    p.add_argument("file", type=Path)
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("search", help="search the index")
    p.add_argument("query", nargs="?")
    p.add_argument("--batch", metavar="FILE", help="one query a line; '-' reads standard input")
    p.add_argument("--index", type=Path, default=index_dir())
    p.add_argument("--corpus", type=Path, default=None, help="corpus to check freshness against")
    p.add_argument("-k", type=_positive_int, default=DEFAULT_K, help="number of passages (default 5)")
    p.add_argument("--speaker", action="append", default=None, help="only this speaker (repeatable)")
    p.add_argument("--document", action="append", default=None, help="only this document (repeatable)")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("compare", help="each speaker's best passages, side by side")
    p.add_argument("query")
    p.add_argument("--index", type=Path, default=index_dir())
    p.add_argument("--corpus", type=Path, default=None)
    p.add_argument("-k", type=_positive_int, default=3)
    p.add_argument("--document", action="append", default=None, help="only this document (repeatable)")
    p.add_argument("--json", action="store_true")
    p = sub.add_parser("eval", help="measure retrieval quality on a graded query set")
    p.add_argument("--queries", type=Path, default=None, help="graded queries (default tests/data/dev_queries.json)")
    p.add_argument("--index", type=Path, default=index_dir())
    p.add_argument("--corpus", type=Path, default=None)
    p.add_argument("--json", action="store_true")
    p.add_argument("--misses", action="store_true", help="list in-scope queries missed at 5")

    p = sub.add_parser("bench", help="search latency: p50/p95 beside the encode + FAISS floor")
    p.add_argument("--index", type=Path, default=index_dir())
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
    for q in packs.choices.values():
        q.add_argument("--data", type=Path, default=None, help="data folder (default $PANELSEARCH_DATA or ./data)")
        if q.prog.split()[-1] != "list":
            q.add_argument("--index", type=Path, default=index_dir(), help="library to check the items against")
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        return COMMANDS[args.command](args)
    except PanelsearchError as err:
        print(f"panelsearch: error: {_shown(str(err))}", file=sys.stderr)
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


def cmd_build(args) -> int:
    from .embed import load_embedder, resolve_model
    from .index import build_index, is_fresh

    if args.if_stale and is_fresh(args.index, args.corpus, resolve_model(args.model)[0]):
        print(f"index at {args.index} is up to date")
        return 0
    manifest = build_index(args.corpus, args.index, load_embedder(args.model), reuse=not args.full,
                           progress=progress_bars(args.quiet))
    emb = manifest.get("embeddings", {})
    print(f"built {args.index}: {manifest['passage_count']} passages from {len(manifest['documents'])} "
          f"document(s), model {manifest['model']}, {manifest['build_seconds']} s "
          f"({emb.get('passages_embedded', '?')} embedded, {emb.get('passages_reused', 0)} reused)")
    return 0


STAGES = {"read": ("documents read", "doc"), "embed": ("texts embedded (passages and questions)", "text")}


def progress_bars(quiet: bool = False):
    """A build's progress (index.Progress) drawn as bars on standard error: documents read, then
    texts embedded, each with a rate and the time left. None when quiet or not on a terminal."""
    if quiet or not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    bars: dict = {}

    def report(stage: str, done: int, total: int) -> None:
        if stage not in bars:
            desc, unit = STAGES.get(stage, (stage, "it"))
            bars[stage] = tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, dynamic_ncols=True)
        bar = bars[stage]
        bar.update(done - bar.n)
        if done >= total:
            bar.close()

    return report


def cmd_add(args) -> int:
    from .embed import load_embedder
    from .index import read_manifest
    from .library import add_documents

    try:
        model = read_manifest(args.index)["model"]
    except PanelsearchError:
        model = None  # no index yet: the add builds one with the default model
    report = add_documents(args.files, args.corpus, args.index, load_embedder(model),
                           progress=progress_bars(args.quiet or args.json))
    if args.json:
        print(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
    else:
        for a in report.added:
            print(_shown(f"added {a.file}: \"{a.title}\", {a.questions} questions, speakers {', '.join(a.speakers)}"))
        if report.added:
            print(f"index updated: {report.vectors_embedded} passages embedded, {report.vectors_reused} reused")
    for r in report.refused:
        print(f"panelsearch: refused {_shown(r.message)}", file=sys.stderr)
    return 1 if report.refused else 0


def cmd_remove(args) -> int:
    from .embed import load_embedder
    from .index import read_manifest
    from .library import remove_document

    removed = remove_document(args.name, args.corpus, args.index, load_embedder(read_manifest(args.index)["model"]),
                              progress=progress_bars(args.quiet))
    extra = f" and {removed.metadata_file}" if removed.metadata_file else ""
    print(_shown(f"removed {removed.file}{extra}: \"{removed.title}\" is no longer in the library or the index"))
    return 0


def cmd_parse(args) -> int:
    from .corpus import load_document

    doc = load_document(args.file)
    if args.json:
        print(json.dumps(doc.to_json(), ensure_ascii=False, indent=2))
        return 0
    print(_shown(f"{doc.title} ({doc.source}): {len(doc.questions)} questions, speakers {', '.join(doc.speakers)}"))
    for q in doc.questions:
        print()
        print(_shown(f"Q{q.number}. {q.text}"))
        for a in q.answers:
            print(_shown(f"  {a.speaker}: {a.text}"))
    return 0


def _searcher(args):
    from .search import Searcher

    return Searcher.load(args.index, corpus_dir=args.corpus)


def _print_hits(hits, indent: str = "") -> None:
    for h in hits:
        who = h.speaker if h.speaker_name in ("", h.speaker) else f"{h.speaker_name} ({h.speaker})"
        # Corpus text and metadata are cleaned when read, but an index built before that may not be.
        print(_shown(f"{indent}{h.rank}. [{who}] Q{h.question_number}: {h.question}"))
        print(_shown(f"{indent}   {h.text}"))
        print(_shown(f"{indent}   ({h.relevance}, score {h.score:.2f}, {h.title or h.source}, {h.passage_id})"))


# Text from a query, a document or its metadata is printed to a terminal: its control characters
# are shown, never obeyed (ESC[2J, or ESC]52 writing the clipboard).
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _shown(text: str) -> str:
    return _CONTROL_RE.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def _read_batch(name: str) -> list[str]:
    """The batch file's (or stdin's) non-blank lines; a byte order mark is dropped; not UTF-8 is an error."""
    raw = sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw.count(b"\n", 0, err.start) + 1
        shown = "standard input" if name == "-" else name
        raise PanelsearchError(f"{shown}:{line}: text is not UTF-8 (byte 0x{raw[err.start]:02x}); save it as UTF-8") from None
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return [line.strip() for line in lines if line.strip()]


def _print_closest(questions) -> None:
    for q in questions:
        print(_shown(f"  Q{q.number} ({', '.join(q.speakers)}; {q.title or q.source}): {q.question}"))


def _print_result(result) -> None:
    """High confidence: the passages. Medium: a caution, the passages, then the closest questions.
    Low: the panel did not answer it; the closest questions, then the passages anyway."""
    print(f"Query: {_shown(result.query)}")
    if result.notice:
        print(f"Note: {result.notice}")
    confidence = getattr(result, "confidence", "low" if result.low_confidence else "high")
    if confidence == "low":
        print("The panel did not answer this. The questions it answered that come closest:")
        _print_closest(result.closest_questions)
        if result.hits:
            print("\nPassages anyway (none of them answers the query well):")
    elif confidence == "medium":
        print("Caution: the panel may only partly cover this; read the passages with care.")
    _print_hits(result.hits)
    if confidence == "medium" and result.closest_questions:
        print("\nThe questions the panel answered that come closest:")
        _print_closest(result.closest_questions)


def cmd_search(args) -> int:
    if (args.query is None) == (args.batch is None):
        raise UsageError("give either a QUERY or --batch FILE")
    if args.query is not None and not args.query.strip():
        raise UsageError("the query is empty: type a question or a few words")
    searcher = _searcher(args)
    if args.query is not None:
        result = searcher.query(args.query, args.k, args.speaker, sources=args.document)
        print(json.dumps(result.to_json(), ensure_ascii=False) if args.json else "", end="\n" if args.json else "")
        if not args.json:
            _print_result(result)
        return 0
    queries = _read_batch(args.batch)
    for n, q in enumerate(queries):
        result = searcher.query(q, args.k, args.speaker, sources=args.document)
        if args.json:
            print(json.dumps(result.to_json(), ensure_ascii=False), flush=True)
        else:
            if n:
                print()
            _print_result(result)
    return 0


def cmd_compare(args) -> int:
    if not args.query.strip():
        raise UsageError("the query is empty: type a question or a few words")
    from .config import LIBRARY_MAX_K
    from .views import align_compare, with_agreement

    searcher = _searcher(args)
    prepared = searcher.prepare_query(args.query)  # encoded once for both rankings below
    result = searcher.compare(prepared, args.k, sources=args.document)
    if args.json:
        # The rows the page draws: the k best questions, each speaker's passages on them lined up.
        every = searcher.compare(prepared, LIBRARY_MAX_K, sources=args.document)
        rows = with_agreement(align_compare(every, searcher.catalog, k=args.k), searcher.catalog, searcher.embedder).rows
        print(json.dumps({**result.to_json(), "rows": [r.to_json() for r in rows]}, ensure_ascii=False))
        return 0
    print(f"Query: {_shown(result.query)}")
    if result.confidence == "low":
        print("The panel did not answer this; the closest passages of each speaker are below anyway.")
    elif result.confidence == "medium":
        print("Caution: the panel may only partly cover this; read the passages with care.")
    for speaker, hits in result.speakers.items():
        print(f"\n== {speaker} ==")
        _print_hits(hits, "  ")
    return 0


def cmd_eval(args) -> int:
    from .evaluate import DEV_QUERIES, MODES, SPLITS, evaluate, evaluate_halves, format_halves, format_report, load_queries

    path = args.queries or DEV_QUERIES
    queries = load_queries(path)
    searcher = _searcher(args)
    split = all(q.get("split") in SPLITS for q in queries)  # a set of one's own may have no halves
    report = evaluate_halves(searcher, queries) if split else {
        "results": [evaluate(searcher, queries, mode) for mode in MODES]}
    results = report["results"]
    if args.json:
        print(json.dumps({"queries": str(path), **report}, indent=2))
        return 0
    in_scope = sum(1 for q in queries if q["relevant"])
    print(f"{path.name}: {len(queries)} queries ({in_scope} in scope), units = (question, speaker)")
    print("modes: bm25 alone, dense alone (whole answer, question in front), hybrid (shipped)\n")
    if split:
        print("tune: adjust the ranking on it; test: what the floors hold, look and do not tune\n")
        print(format_halves(report))
    else:
        print("(no tune/test split in this file: the whole set)\n")
        print(format_report(results))
    if args.misses:
        half = {q["query"]: q.get("split", "") for q in queries}
        for r in results:
            print(f"\nmissed at 5 by {r['mode']}: " + "; ".join(
                f"{q} [{half[q]}]" if half.get(q) else q for q in r["misses_at_5"]))
    return 0


def cmd_bench(args) -> int:
    from .bench import format_bench, run_bench
    from .evaluate import load_queries

    if args.scale:
        from .scale import DEFAULT_SIZES, DEFAULT_TIME_CAP_S, run_scale

        try:
            sizes = tuple(int(x) for x in args.sizes.split(",")) if args.sizes else DEFAULT_SIZES
        except ValueError:
            raise UsageError(f"--sizes takes whole numbers separated by commas, not {args.sizes!r}") from None
        figures = run_scale(sizes, args.time_cap or DEFAULT_TIME_CAP_S, out=(lambda line: None) if args.json else print)
        if args.json:
            print(json.dumps(figures, indent=2, default=str))
        return 0
    searcher = _searcher(args)
    queries = [q["query"] for q in load_queries()]
    result = run_bench(searcher, queries, rounds=args.rounds)
    print(json.dumps(result, indent=2) if args.json else format_bench(result))
    return 0


def cmd_pack(args) -> int:
    from datetime import date

    from .pack import file_name
    from .store import PackNotFound, Store, mark_missing, render

    store = Store(args.data)
    if args.pack_command == "list":
        packs = store.list_packs()
        if args.json:
            print(json.dumps([p.to_json() for p in packs], ensure_ascii=False, indent=2))
        for p in [] if args.json else packs:
            print(_shown(f"{p.id}  {p.count:>3} passage{'s' if p.count != 1 else ' '}  "
                         f"{p.updated:%Y-%m-%d %H:%M} UTC  {p.title}"))
        return 0
    saved = store.pack(args.id)
    if saved is None:
        raise PackNotFound(args.id)
    try:  # the library, if there is one: names and roles, its glossary, and what it no longer holds
        from .catalog import Catalog
        from .index_load import load_index

        catalog = Catalog.of(load_index(args.index))
    except PanelsearchError as err:
        catalog = None
        print(f"panelsearch: note: items not checked against a library ({_shown(str(err))})", file=sys.stderr)
    if catalog is not None:
        saved = mark_missing(saved, catalog)
    if args.pack_command == "show":
        if args.json:
            print(json.dumps(saved.to_json(), ensure_ascii=False, indent=2))
            return 0
        print(_shown(f"{saved.title} ({saved.id}): {len(saved.items)} passages, "
                     f"updated {saved.updated:%Y-%m-%d %H:%M} UTC"))
        for s in saved.items:
            i = s.item
            print()
            print(_shown(f"{s.position}. [{i.speaker_cite}] Q{i.question_number}: {i.question}"))
            print(_shown(f"   {i.text}"))
            print(_shown(f"   ({i.passage_id}{', no longer in the library' if s.missing else ''})"))
            for label, text in (("note", i.note), ("prompt", i.prompt)):
                if text:
                    print(_shown(f"   {label}: {' '.join(text.split())}"))
        return 0
    data = render(saved, args.format, catalog)
    if args.output is not None and str(args.output) == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return 0
    out = args.output or Path(file_name(saved.title, date.today(), args.format))
    out.write_bytes(data)
    gone = sum(s.missing for s in saved.items)
    if gone:
        print(f"panelsearch: note: {gone} passage(s) no longer in the library, written as saved", file=sys.stderr)
    print(_shown(f"wrote {out} ({len(saved.items)} passages)"))
    return 0


COMMANDS = {"build": cmd_build, "parse": cmd_parse, "search": cmd_search, "compare": cmd_compare,
            "eval": cmd_eval, "bench": cmd_bench, "add": cmd_add, "remove": cmd_remove, "pack": cmd_pack}
