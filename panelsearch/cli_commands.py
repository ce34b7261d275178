"""The CLI's commands that build, change and query the library: build, add, remove, parse, search,
compare, eval and bench. Each takes the parsed arguments (with ``args.settings``, the entry point's
Settings) and returns an exit code; the library raises, ``cli.main`` reports."""
from __future__ import annotations

import json
import sys

from .cli_output import print_hits, print_result, progress_bars, read_batch, shown
from .errors import PanelsearchError, UsageError


def cmd_build(args) -> int:
    from .embed import load_embedder, resolve_model
    from .index import build_index, is_fresh

    if args.if_stale and is_fresh(args.index, args.corpus, resolve_model(args.model)[0]):
        print(f"index at {args.index} is up to date")
        return 0
    manifest = build_index(args.corpus, args.index, load_embedder(args.model, args.settings), reuse=not args.full,
                           progress=progress_bars(args.quiet))
    emb = manifest.get("embeddings", {})
    print(f"built {args.index}: {manifest['passage_count']} passages from {len(manifest['documents'])} "
          f"document(s), model {manifest['model']}, {manifest['build_seconds']} s "
          f"({emb.get('passages_embedded', '?')} embedded, {emb.get('passages_reused', 0)} reused)")
    return 0


def cmd_add(args) -> int:
    from .embed import load_embedder
    from .index import read_manifest
    from .library import add_documents

    try:
        model = read_manifest(args.index)["model"]
    except PanelsearchError:
        model = None  # no index yet: the add builds one with the default model
    report = add_documents(args.files, args.corpus, args.index, load_embedder(model, args.settings),
                           progress=progress_bars(args.quiet or args.json))
    if args.json:
        print(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
    else:
        for a in report.added:
            print(shown(f"added {a.file}: \"{a.title}\", {a.questions} questions, speakers {', '.join(a.speakers)}"))
        if report.added:
            print(f"index updated: {report.vectors_embedded} passages embedded, {report.vectors_reused} reused")
    for r in report.refused:
        print(f"panelsearch: refused {shown(r.message)}", file=sys.stderr)
    return 1 if report.refused else 0


def cmd_remove(args) -> int:
    from .embed import load_embedder
    from .index import read_manifest
    from .library import remove_document

    embedder = load_embedder(read_manifest(args.index)["model"], args.settings)
    removed = remove_document(args.name, args.corpus, args.index, embedder,
                              progress=progress_bars(args.quiet))
    extra = f" and {removed.metadata_file}" if removed.metadata_file else ""
    print(shown(f"removed {removed.file}{extra}: \"{removed.title}\" is no longer in the library or the index"))
    return 0


def cmd_parse(args) -> int:
    from .corpus import load_document

    doc = load_document(args.file)
    if args.json:
        print(json.dumps(doc.to_json(), ensure_ascii=False, indent=2))
        return 0
    print(shown(f"{doc.title} ({doc.source}): {len(doc.questions)} questions, speakers {', '.join(doc.speakers)}"))
    for q in doc.questions:
        print()
        print(shown(f"Q{q.number}. {q.text}"))
        for a in q.answers:
            print(shown(f"  {a.speaker}: {a.text}"))
    return 0


def searcher_for(args):
    from .search import Searcher

    return Searcher.load(args.index, corpus_dir=args.corpus, settings=args.settings)


def cmd_search(args) -> int:
    if (args.query is None) == (args.batch is None):
        raise UsageError("give either a QUERY or --batch FILE")
    if args.query is not None and not args.query.strip():
        raise UsageError("the query is empty: type a question or a few words")
    searcher = searcher_for(args)
    if args.query is not None:
        result = searcher.query(args.query, args.k, args.speaker, sources=args.document)
        print(json.dumps(result.to_json(), ensure_ascii=False) if args.json else "", end="\n" if args.json else "")
        if not args.json:
            print_result(result)
        return 0
    queries = read_batch(args.batch)
    for n, q in enumerate(queries):
        result = searcher.query(q, args.k, args.speaker, sources=args.document)
        if args.json:
            print(json.dumps(result.to_json(), ensure_ascii=False), flush=True)
        else:
            if n:
                print()
            print_result(result)
    return 0


def cmd_compare(args) -> int:
    if not args.query.strip():
        raise UsageError("the query is empty: type a question or a few words")
    from .config import LIBRARY_MAX_K
    from .views import align_compare, with_agreement

    searcher = searcher_for(args)
    prepared = searcher.prepare_query(args.query)  # encoded once for both rankings below
    result = searcher.compare(prepared, args.k, sources=args.document)
    if args.json:
        # The rows the page draws: the k best questions, each speaker's passages on them lined up.
        every = searcher.compare(prepared, LIBRARY_MAX_K, sources=args.document)
        rows = with_agreement(align_compare(every, searcher.catalog, k=args.k), searcher.catalog, searcher.embedder).rows
        print(json.dumps({**result.to_json(), "rows": [r.to_json() for r in rows]}, ensure_ascii=False))
        return 0
    print(f"Query: {shown(result.query)}")
    if result.confidence == "low":
        print("The panel did not answer this; the closest passages of each speaker are below anyway.")
    elif result.confidence == "medium":
        print("Caution: the panel may only partly cover this; read the passages with care.")
    for speaker, hits in result.speakers.items():
        print(f"\n== {speaker} ==")
        print_hits(hits, "  ")
    return 0


def cmd_eval(args) -> int:
    if getattr(args, "feedback", False):  # how the ranking places what readers marked (cli_feedback.py)
        from .cli_feedback import cmd_eval_feedback

        return cmd_eval_feedback(args)
    from .eval_report import format_halves, format_report
    from .evaluate import DEV_QUERIES, MODES, SPLITS, evaluate, evaluate_halves, load_queries

    path = args.queries or DEV_QUERIES
    queries = load_queries(path)
    searcher = searcher_for(args)
    split = all(q.get("split") in SPLITS for q in queries)  # a set of one's own may have no halves
    report = evaluate_halves(searcher, queries) if split else {
        "results": [evaluate(searcher, queries, mode) for mode in MODES]}
    results = report["results"]
    perspectives = {}
    topics, agreement = getattr(args, "topics", False), getattr(args, "agreement", False)
    if topics or agreement:  # issue #12: the stored topics and "Both said" against hand labels
        from .perspective_eval import evaluate_perspectives, format_perspectives

        perspectives = evaluate_perspectives(searcher, topics=topics, agreement=agreement)
    if args.json:
        print(json.dumps({"queries": str(path), **report, **perspectives}, indent=2))
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
    if perspectives:
        print("\n" + format_perspectives(perspectives))
    return 0


def cmd_bench(args) -> int:
    from .bench import format_bench, run_bench
    from .evaluate import load_queries

    if args.scale:
        from .embed import load_embedder
        from .scale import DEFAULT_SIZES, DEFAULT_TIME_CAP_S, run_scale

        try:
            sizes = tuple(int(x) for x in args.sizes.split(",")) if args.sizes else DEFAULT_SIZES
        except ValueError:
            raise UsageError(f"--sizes takes whole numbers separated by commas, not {args.sizes!r}") from None
        figures = run_scale(sizes, args.time_cap or DEFAULT_TIME_CAP_S, out=(lambda line: None) if args.json else print,
                            corpus_dir=args.corpus or args.settings.corpus, embedder=load_embedder(None, args.settings))
        if args.json:
            print(json.dumps(figures, indent=2, default=str))
        return 0
    searcher = searcher_for(args)
    queries = [q["query"] for q in load_queries()]
    result = run_bench(searcher, queries, rounds=args.rounds)
    print(json.dumps(result, indent=2) if args.json else format_bench(result))
    return 0
