"""Readers: a document file of any supported type -> models.Document, with its metadata applied.

- ``.txt``   text extracted from a Q&A table (txt.py);
- ``.md``    a hand-typed Markdown Q&A (markdown.py);
- ``.pdf``   the Q&A table itself (pdf.py);
- ``.docx``  a Word file holding the same table (word.py);
PDF and Word share tables.py; every reader shares common.py. An optional ``<stem>.meta.json``
beside a document gives its title, date, event and the speakers' names and roles (metadata.py).
Every reader raises ParseError naming the file and where in it. Untrusted files are read in a
bounded worker process (panelsearch/worker.py).
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from ..errors import ParseError
from ..models import Document
from .markdown import parse_markdown, parse_markdown_file
from .metadata import META_SUFFIX, apply_metadata, metadata_path, read_metadata
from .pdf import parse_pdf
from .txt import parse_file, parse_text
from .word import parse_docx

FORMATS = {".txt": "text", ".md": "markdown", ".pdf": "pdf", ".docx": "docx"}
READERS = {"text": parse_file, "markdown": parse_markdown_file, "pdf": parse_pdf, "docx": parse_docx}

__all__ = ["FORMATS", "META_SUFFIX", "load_document", "metadata_path", "parse_document", "parse_markdown",
           "parse_text"]

def parse_document(path: Path) -> Document:
    """Parse one document by its suffix, without its metadata file."""
    path = Path(path)
    kind = FORMATS.get(path.suffix.lower())
    if kind is None:
        raise ParseError(path.name, 0, f"unsupported file type '{path.suffix or '(none)'}': "
                                       f"expected one of {', '.join(FORMATS)}")
    return replace(READERS[kind](path), format=kind)


def load_document(path: Path, meta_path: Path | None = None) -> Document:
    """Parse a document and apply its metadata: ``meta_path`` if given, else ``<stem>.meta.json`` beside it."""
    path = Path(path)
    doc = parse_document(path)
    meta_path = Path(meta_path) if meta_path else metadata_path(path)
    if meta_path.is_file():
        doc = apply_metadata(doc, read_metadata(meta_path))
    return doc
