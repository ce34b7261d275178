"""panelsearch: search what a panel of experts said, passage by passage.

The public API, imported on first use so that ``import panelsearch`` stays light and changes
nothing (no environment variable, no model load)::

    from panelsearch import Searcher
    searcher = Searcher.load("index")
    result = searcher.query("no staff time for co-production", k=5)
"""
from importlib import import_module

__version__ = "0.1.0"
__all__ = ["Searcher", "SearchResult", "Hit", "build_index", "load_index"]

_HOMES = {"Searcher": "search", "SearchResult": "models", "Hit": "models", "build_index": "index",
          "load_index": "index"}


def __getattr__(name: str):
    if name in _HOMES:
        return getattr(import_module(f".{_HOMES[name]}", __name__), name)
    raise AttributeError(f"module 'panelsearch' has no attribute {name!r}")
