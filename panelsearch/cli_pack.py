"""``python -m panelsearch pack list|show|export``: the saved discussion packs from the command line."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from .cli_output import shown
from .errors import PanelsearchError


def cmd_pack(args) -> int:
    from datetime import date

    from .pack import file_name
    from .saved import mark_missing, render
    from .store import PackNotFound, Store

    store = Store(args.data)
    if args.pack_command == "list":
        packs = store.list_packs()
        if args.json:
            print(json.dumps([p.to_json() for p in packs], ensure_ascii=False, indent=2))
        for p in [] if args.json else packs:
            print(shown(f"{p.id}  {p.count:>3} passage{'s' if p.count != 1 else ' '}  "
                         f"{p.updated:%Y-%m-%d %H:%M} UTC  {p.title}"))
        return 0
    saved = store.pack(args.id)
    if saved is None:
        raise PackNotFound(args.id)
    try:  # the library, if there is one: names and roles, its glossary, and what it no longer holds
        from .catalog import Catalog
        from .index_load import load_index

        catalog, problem = Catalog.of(load_index(args.index)), ""
    except PanelsearchError as err:
        catalog, problem = None, str(err)
        print(f"panelsearch: note: items not checked against a library ({shown(problem)})", file=sys.stderr)
    if catalog is not None:
        saved = mark_missing(saved, catalog)
    if args.pack_command == "show":
        if args.json:
            print(json.dumps(saved.to_json(), ensure_ascii=False, indent=2))
            return 0
        print(shown(f"{saved.title} ({saved.id}): {len(saved.items)} passages, "
                     f"updated {saved.updated:%Y-%m-%d %H:%M} UTC"))
        for s in saved.items:
            i = s.item
            print()
            print(shown(f"{s.position}. [{i.speaker_cite}] Q{i.question_number}: {i.question}"))
            print(shown(f"   {i.text}"))
            print(shown(f"   ({i.passage_id}{', no longer in the library' if s.missing else ''})"))
            for label, text in (("note", i.note), ("prompt", i.prompt)):
                if text:
                    print(shown(f"   {label}: {' '.join(text.split())}"))
        return 0
    agreements = agreement_groups(saved, catalog, problem, args) if args.agreement else []
    data = render(saved, args.format, catalog, agreements=agreements)
    if args.output is not None and str(args.output) == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return 0
    out = args.output or Path(file_name(saved.title, date.today(), args.format))
    out.write_bytes(data)
    gone = sum(s.missing for s in saved.items)
    if gone:
        print(f"panelsearch: note: {gone} passage(s) no longer in the library, written as saved", file=sys.stderr)
    print(shown(f"wrote {out} ({len(saved.items)} passages)"))
    return 0


def agreement_groups(saved, catalog, problem: str, args) -> list:
    """``--agreement``: the agreement groups (agree.py) of the pack's questions that two or more
    panelists answered, from the library as it is now, with its model."""
    from .agree import agreements
    from .embed import load_embedder
    from .index_load import read_manifest
    from .pack import several_answered

    if catalog is None:
        raise PanelsearchError(f"--agreement needs the library the passages come from: {problem}")
    questions = several_answered([s.item for s in saved.items if not s.missing], catalog)
    if not questions:
        print("panelsearch: note: no question in this pack was answered by two or more panelists: "
              "no agreement section", file=sys.stderr)
        return []
    return agreements(questions, load_embedder(read_manifest(args.index)["model"], args.settings))
