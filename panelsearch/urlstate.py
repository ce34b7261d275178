"""The page's state and its address: what a link reproduces, read from and written to the URL.

A link never raises: a bad part is dropped, with a sentence saying so.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Iterable, Mapping
from urllib.parse import urlencode

from .config import DEFAULT_K, PAGE_MAX_K, PAGE_QUERY_MAX_CHARS

# The page's views by key, with the label each shows; a state and a link name a view by its key.
VIEWS = {"search": "Search", "compare": "Compare", "browse": "Browse", "topics": "Topics", "pack": "Pack"}


PACK_ID_RE = re.compile(r"[A-Za-z0-9_-]{12}")  # the shape of store.py's ids; the store checks they exist


def view_key(label: str | None) -> str:
    """The key of the view a tab shows (the tabs widget holds its label); "search" for anything else."""
    return next((key for key, shown in VIEWS.items() if shown == label), "search")


@dataclass(frozen=True)
class PageState:
    """What a link reproduces: the view, the query and the filters."""

    view: str = "search"
    query: str = ""
    k: int = DEFAULT_K
    speakers: tuple[str, ...] = ()  # empty: every speaker
    grouped: bool = True
    q: int | None = None  # the question open in browse (in each chosen document)
    docs: tuple[str, ...] = ()  # the documents searched (sources); empty: every document
    pack: str = ""  # the saved discussion pack open in this page (store.py), if any


def _values(params: Mapping, key: str) -> list[str]:
    value = params.get(key)
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, (list, tuple)) else [str(value)]


def parse_params(params: Mapping, speakers: Iterable[str] | Mapping[str, Iterable[str]],
                 numbers: Iterable[int] | Mapping[str, Iterable[int]]) -> tuple[PageState, list[str]]:
    """The page state a link asks for, and a sentence for each part of the link that was ignored.

    ``params`` maps names to a value or a list of values (``st.query_params``): ``view``,
    ``query``, ``k``, ``speaker`` (repeatable or comma-separated), ``group`` (``0``/``1``), ``q``
    (a question number, for browse) and ``doc`` (a document's source, repeatable). Bad values fall
    back to the default; nothing raises.

    For a library of several documents, ``speakers`` and ``numbers`` map each source to its
    speakers and question numbers: ``doc`` is checked against the sources, and ``speaker`` and
    ``q`` against the chosen documents. Plain lists mean one document and no ``doc`` parameter.
    """
    problems: list[str] = []
    state = PageState()
    sources = list(numbers) if isinstance(numbers, Mapping) else []
    wanted_docs = [d.strip() for v in _values(params, "doc") for d in v.split(",") if d.strip()]
    docs: list[str] = []
    for d in wanted_docs:
        if d in sources:
            if d not in docs:
                docs.append(d)
        elif sources:
            problems.append(f"unknown document '{d}' (this library has {', '.join(sources)})")
    if len(sources) > 1 and docs and set(docs) != set(sources):  # every document chosen is no filter
        state = replace(state, docs=tuple(s for s in sources if s in docs))
    scope = list(state.docs) or sources
    if isinstance(speakers, Mapping):
        known_speakers = sorted({s for src in scope for s in speakers.get(src, ())})
    else:
        known_speakers = list(speakers)
    if isinstance(numbers, Mapping):
        known_numbers = {n for src in scope for n in numbers.get(src, ())}
    else:
        known_numbers = set(numbers)

    view = (_values(params, "view") or [""])[-1].strip().lower()
    if view:
        if view in VIEWS:
            state = replace(state, view=view)
        else:
            problems.append(f"unknown view '{view}' (expected one of {', '.join(VIEWS)})")

    query = " ".join((_values(params, "query") or [""])[-1].split())
    if len(query) > PAGE_QUERY_MAX_CHARS:
        query = query[:PAGE_QUERY_MAX_CHARS]
        problems.append(f"the query was cut to its first {PAGE_QUERY_MAX_CHARS} characters")
    state = replace(state, query=query)

    raw_k = (_values(params, "k") or [""])[-1].strip()
    if raw_k:
        try:
            k = int(raw_k)
        except ValueError:
            problems.append(f"k must be a whole number, not '{raw_k}'")
        else:
            clamped = min(max(k, 1), PAGE_MAX_K)
            if clamped != k:
                problems.append(f"k={k} is outside 1–{PAGE_MAX_K}; using {clamped}")
            state = replace(state, k=clamped)

    wanted = [s.strip() for v in _values(params, "speaker") for s in v.split(",") if s.strip()]
    lookup = {s.lower(): s for s in known_speakers}
    chosen = []
    for s in wanted:
        if s.lower() in lookup:
            if lookup[s.lower()] not in chosen:
                chosen.append(lookup[s.lower()])
        else:
            where = "these documents have" if len(scope) > 1 else "this Q&A has"
            problems.append(f"unknown speaker '{s}' ({where} {', '.join(known_speakers)})")
    if set(chosen) != set(known_speakers):  # every speaker chosen is the same as no filter
        state = replace(state, speakers=tuple(s for s in known_speakers if s in chosen))

    group = (_values(params, "group") or [""])[-1].strip().lower()
    if group in ("0", "false", "no", "off"):
        state = replace(state, grouped=False)
    elif group not in ("", "1", "true", "yes", "on"):
        problems.append(f"group must be 0 or 1, not '{group}'")

    raw_q = (_values(params, "q") or [""])[-1].strip().lstrip("Qq")
    if raw_q:
        if raw_q.isdigit() and int(raw_q) in known_numbers:
            state = replace(state, q=int(raw_q), view=state.view if view in VIEWS else "browse")
        else:
            problems.append(f"there is no question Q{raw_q} (questions are numbered "
                            f"{min(known_numbers, default=0)}–{max(known_numbers, default=0)})")
    raw_pack = (_values(params, "pack") or [""])[-1].strip()
    if raw_pack:
        if PACK_ID_RE.fullmatch(raw_pack):
            state = replace(state, pack=raw_pack)
        else:
            problems.append("the pack in the link is not a pack id")
    return state, problems


def to_params(state: PageState) -> dict[str, str | list[str]]:
    """The URL parameters for a state: only what differs from the defaults, so links stay short."""
    out: dict[str, str | list[str]] = {}
    if state.view != "search":
        out["view"] = state.view
    if state.query:
        out["query"] = state.query
    if state.k != DEFAULT_K:
        out["k"] = str(state.k)
    if state.speakers:
        out["speaker"] = list(state.speakers)
    if not state.grouped:
        out["group"] = "0"
    if state.q is not None and state.view == "browse":
        out["q"] = str(state.q)
    if state.docs:
        out["doc"] = list(state.docs)
    if state.pack:
        out["pack"] = state.pack
    return out


def share_link(page_url: str, state: PageState) -> str:
    """The page's address (``st.context.url``) with the state as its query string."""
    base = (page_url or "").split("?", 1)[0].split("#", 1)[0]
    query = urlencode(to_params(state), doseq=True)
    return f"{base}?{query}" if query else base
