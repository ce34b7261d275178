"""Library stage: add documents to the corpus and bring the index up to date, or change nothing.

Each file is checked before anything is touched: its type, that it is neither empty nor too
large, that it parses (with its metadata), and that the library does not hold it already (same
name, same bytes, or the same questions and answers in another format). Accepted files are
copied into the corpus atomically and the index is rebuilt incrementally; if the rebuild fails,
the copies are removed, so the corpus and the index stay as they were. A refused file is
reported with what is wrong and where; the other files of the batch still go in.

Added files are untrusted: each is parsed in a child process with memory, CPU and time caps
(worker.parse_bounded), and a name the file system cannot hold is refused before it is used.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import config
from .corpus import SUFFIXES, content_sha256, corpus_files, file_sha256, is_document_name
from .errors import CorruptIndexError, IndexMissingError, ParseError, UsageError
from .readers import META_SUFFIX, load_document, metadata_path
from .index import build_index, check_index_target, read_manifest
from .locks import folder_lock
from .models import Document
from .readers.common import shorten
from .worker import parse_bounded

MAX_FILE_BYTES = 20 * 1024 * 1024  # a long Q&A is well under 1 MB; 20 MB leaves room for PDFs with images
MAGIC = {".pdf": (b"%PDF-", "a PDF (it does not start with %PDF-)"),
         ".docx": (b"PK\x03\x04", "a Word .docx file (it is not a zip package)")}


@dataclass(frozen=True)
class Added:
    file: str  # its name in the corpus
    source: str  # the document's id: its passage ids start with it
    title: str
    format: str
    questions: int
    speakers: list[str]
    metadata_file: str | None = None  # "<stem>.meta.json" when one came with it
    warnings: list[str] = field(default_factory=list)  # what the reader suspects it misread, by line


@dataclass(frozen=True)
class Refused:
    file: str  # the name as given
    reason: str  # "name", "missing", "type", "empty", "too large", "unreadable", "metadata" or "duplicate"
    message: str  # one line for a person: the file, what is wrong and where
    line: int = 0  # the line, page or table row, when the problem has one


@dataclass
class AddReport:
    added: list[Added] = field(default_factory=list)
    refused: list[Refused] = field(default_factory=list)
    manifest: dict | None = None  # the rebuilt index's manifest; None when nothing was added

    @property
    def vectors_embedded(self) -> int:
        return (self.manifest or {}).get("embeddings", {}).get("passages_embedded", 0)

    @property
    def vectors_reused(self) -> int:
        return (self.manifest or {}).get("embeddings", {}).get("passages_reused", 0)

    def to_json(self) -> dict:
        return {"added": [asdict(a) for a in self.added], "refused": [asdict(r) for r in self.refused],
                "vectors_embedded": self.vectors_embedded, "vectors_reused": self.vectors_reused}


@dataclass
class _Candidate:
    name: str
    given: Path | None  # where it came from, for files added by path
    staged: Path
    meta: Path | None = None  # staged metadata file
    doc: Document | None = None
    sha256: str = ""


def add_documents(paths: Iterable[Path | str], corpus_dir: Path, index_dir: Path, embedder,
                  max_bytes: int = MAX_FILE_BYTES, progress=None) -> AddReport:
    """Add document files (and ``<stem>.meta.json`` files beside or among them) to the library.

    A document's metadata is the ``.meta.json`` of the same stem given in ``paths``, else the one
    beside the document. Raises ParseError if a document already in the corpus does not parse
    (nothing is touched); any error from the rebuild is raised after the copies are removed.
    ``progress`` follows the rebuild (index.Progress).
    """
    check_index_target(Path(index_dir), Path(corpus_dir))  # before anything is copied
    with tempfile.TemporaryDirectory(prefix="panelsearch-add-") as staging:
        items = [(Path(p).name, Path(p)) for p in paths]
        return _add(items, Path(staging), Path(corpus_dir), Path(index_dir), embedder, max_bytes, progress)


def add_uploads(files: Iterable[tuple[str, bytes]], corpus_dir: Path, index_dir: Path, embedder,
                max_bytes: int = MAX_FILE_BYTES, progress=None) -> AddReport:
    """As add_documents, for (file name, content) pairs such as the app's uploads."""
    check_index_target(Path(index_dir), Path(corpus_dir))
    with tempfile.TemporaryDirectory(prefix="panelsearch-add-") as staging:
        items = [(Path(name).name, data) for name, data in files]  # never a path the uploader chose
        return _add(items, Path(staging), Path(corpus_dir), Path(index_dir), embedder, max_bytes, progress)


def _is_meta(name: str) -> bool:
    return name.lower().endswith(META_SUFFIX)


def _refuse(report: AddReport, name: str, reason: str, what: str, line: int = 0) -> None:
    report.refused.append(Refused(name, reason, f"{_shown(name)}: {what}", line))


def _shown(name: str) -> str:
    """A name fit for a one-line message: control characters as ``?``, cut to 80 characters."""
    return shorten("".join("?" if _is_control(c) else c for c in name), 80)


def _is_control(c: str) -> bool:
    return ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F


def _name_problem(name: str) -> str | None:
    """Why ``name`` cannot be a file's name in the corpus, or None.

    Checked before the name is used: a NUL byte raised ValueError and a 300-character name
    failed with "File name too long" (Errno 36), either one ending the whole batch.
    """
    if any(_is_control(c) for c in name):
        return "the name holds a control character (such as NUL or a line break); rename the file"
    try:
        size = len(name.encode("utf-8"))
    except UnicodeEncodeError:
        return "the name is not valid text (it holds a lone surrogate); rename the file"
    if len(name) > config.MAX_NAME_LENGTH or size > config.MAX_NAME_BYTES:
        return (f"the name is {len(name):,} characters ({size:,} bytes) long; at most {config.MAX_NAME_LENGTH} "
                f"characters and {config.MAX_NAME_BYTES} bytes: rename the file")
    return None


def _size(n: int) -> str:
    return f"{n / 2**20:.1f} MB" if n >= 2**20 else f"{n / 2**10:.1f} KB"


def _stage(report: AddReport, slot: str, name: str, source, staging: Path, max_bytes: int) -> Path | None:
    """Copy one input into the staging folder after the checks that need no parsing."""
    problem = _name_problem(name)
    if problem:
        _refuse(report, name, "name", problem)
        return None
    if not name or not (is_document_name(name) or (_is_meta(name) and not name.startswith((".", "~$")))):
        kinds = ", ".join(SUFFIXES)
        _refuse(report, name, "type", f"unsupported file type '{Path(name).suffix or '(none)'}': expected "
                                      f"{kinds}, or a {META_SUFFIX} beside a document")
        return None
    if isinstance(source, Path):
        if not source.is_file():
            _refuse(report, name, "missing", f"{'not a file' if source.exists() else 'file not found'}: {source}")
            return None
        size = source.stat().st_size
    else:
        size = len(source)
    if size == 0:
        _refuse(report, name, "empty", "the file is empty")
        return None
    if size > max_bytes:
        _refuse(report, name, "too large", f"the file is {_size(size)}, over the {_size(max_bytes)} limit")
        return None
    target = staging / slot / name  # a folder per input: two inputs may share a name
    target.parent.mkdir()
    if isinstance(source, Path):
        shutil.copyfile(source, target)
    else:
        target.write_bytes(source)
    magic = MAGIC.get(target.suffix.lower())
    if magic:
        with open(target, "rb") as f:
            if f.read(len(magic[0])) != magic[0]:
                _refuse(report, name, "type", f"named {target.suffix} but not {magic[1]}")
                return None
    return target


def _add(items, staging: Path, corpus_dir: Path, index_dir: Path, embedder, max_bytes: int,
         progress=None) -> AddReport:
    report = AddReport()
    candidates: list[_Candidate] = []
    metas: dict[str, tuple[str, Path]] = {}  # stem -> (name, staged path)
    bad_metas: set[str] = set()
    for n, (name, source) in enumerate(items):
        staged = _stage(report, str(n), name, source, staging, max_bytes)
        if staged is None:
            if _is_meta(name):
                bad_metas.add(name[: -len(META_SUFFIX)])
            continue
        if _is_meta(name):
            metas[name[: -len(META_SUFFIX)]] = (name, staged)
        else:
            candidates.append(_Candidate(name, source if isinstance(source, Path) else None, staged))

    paired = []
    for n, c in enumerate(candidates):  # pair each document with its metadata: given with it, else beside it
        stem = Path(c.name).stem
        if stem in metas:
            c.meta = metas.pop(stem)[1]
        elif stem not in bad_metas and c.given is not None and metadata_path(c.given).is_file():
            beside = metadata_path(c.given)
            c.meta = _stage(report, f"beside-{n}", beside.name, beside, staging, max_bytes)
            if c.meta is None:
                bad_metas.add(stem)
        if stem in bad_metas:
            _refuse(report, c.name, "metadata", f"its metadata file {stem}{META_SUFFIX} was refused")
        else:
            paired.append(c)
    for name, _ in metas.values():
        _refuse(report, name, "metadata", f"no document {name[: -len(META_SUFFIX)]}.* comes with it: add a metadata "
                                          "file together with its document")

    parsed = []
    for c in paired:
        try:  # in a capped child process: the file is untrusted
            c.doc = parse_bounded(c.staged, meta_path=c.meta)
        except ParseError as err:
            meta = c.meta is not None and err.file == c.meta.name
            report.refused.append(Refused(c.name, "metadata" if meta else "unreadable", str(err), err.line))
            continue
        c.sha256 = file_sha256(c.staged)
        parsed.append(c)
    if not parsed:
        return report

    with _library_lock(corpus_dir):
        accepted = _not_duplicates(report, parsed, corpus_dir, index_dir)
        if not accepted:
            return report
        new_corpus = not corpus_dir.exists()
        created = _copy_in(accepted, corpus_dir)
        try:
            report.manifest = build_index(corpus_dir, index_dir, embedder, progress=progress)
        except BaseException:
            for path in reversed(created):
                path.unlink(missing_ok=True)
            if new_corpus and not any(corpus_dir.iterdir()):
                corpus_dir.rmdir()
            raise
    for c in accepted:
        report.added.append(Added(c.name, c.doc.source, c.doc.title, c.doc.format, len(c.doc.questions),
                                  c.doc.speakers, c.meta.name if c.meta else None, list(c.doc.warnings)))
    return report


def _library_state(corpus_dir: Path, index_dir: Path) -> list[tuple[Path, str, str]]:
    """(file, sha256, content sha256) of each document in the corpus.

    Content fingerprints come from the index manifest for files it built unchanged; the rest are
    parsed, so a broken document already in the corpus raises here, before anything is touched.
    """
    if not corpus_dir.is_dir():
        return []
    try:
        known = {(d.get("file"), d.get("sha256")): d.get("content_sha256")
                 for d in read_manifest(index_dir).get("documents", [])}
    except (IndexMissingError, CorruptIndexError):
        known = {}
    state = []
    for path in corpus_files(corpus_dir):
        sha = file_sha256(path)
        state.append((path, sha, known.get((path.name, sha)) or content_sha256(load_document(path))))
    return state


def _not_duplicates(report: AddReport, parsed: list[_Candidate], corpus_dir: Path, index_dir: Path) -> list[_Candidate]:
    names, stems, shas, contents = {}, {}, {}, {}
    for path, sha, content in _library_state(corpus_dir, index_dir):
        names[path.name.lower()] = stems[path.stem.lower()] = shas[sha] = contents[content] = f"{path.name} (in the library)"
    accepted = []
    for c in parsed:
        stem, content = Path(c.name).stem.lower(), content_sha256(c.doc)
        orphan = corpus_dir / metadata_path(Path(c.name)).name
        if c.given is not None and corpus_dir.is_dir() and c.given.resolve().parent == corpus_dir.resolve():
            why = "it is already in the corpus folder; build the index with: python -m panelsearch build"
        elif c.name.lower() in names:
            why = f"a document of the same name is already there: {names[c.name.lower()]}"
        elif stem in stems:
            why = f"{stems[stem]} already has the name '{Path(c.name).stem}'; rename the file"
        elif c.sha256 in shas:
            why = f"the same file is already there as {shas[c.sha256]}"
        elif content in contents:
            why = f"the same questions and answers are already there as {contents[content]}"
        elif orphan.exists():
            why = f"the corpus already holds {orphan.name} without its document; remove it first"
        else:
            names[c.name.lower()] = stems[stem] = shas[c.sha256] = contents[content] = f"{c.name} (in this batch)"
            accepted.append(c)
            continue
        _refuse(report, c.name, "duplicate", why)
    return accepted


def _copy_in(accepted: list[_Candidate], corpus_dir: Path) -> list[Path]:
    """Copy each accepted file into the corpus under a hidden name, then rename it into place."""
    corpus_dir.mkdir(parents=True, exist_ok=True)
    created: list[Path] = []
    try:
        for c in accepted:  # metadata first: a document never appears without the metadata it was checked with
            for staged in ([c.meta] if c.meta else []) + [c.staged]:
                fd, tmp = tempfile.mkstemp(prefix=f".{staged.name}.", suffix=".part", dir=corpus_dir)
                try:
                    with os.fdopen(fd, "wb") as out, open(staged, "rb") as src:
                        shutil.copyfileobj(src, out)
                        out.flush()
                        os.fsync(out.fileno())
                    os.chmod(tmp, 0o644)
                    final = corpus_dir / staged.name
                    os.replace(tmp, final)
                    created.append(final)
                except BaseException:
                    Path(tmp).unlink(missing_ok=True)
                    raise
    except BaseException:
        for path in reversed(created):
            path.unlink(missing_ok=True)
        raise
    return created


def _library_lock(corpus_dir: Path):
    """One add at a time per corpus, across threads (app sessions) and processes (CLI and app).

    The lock is taken on the corpus's parent folder, so no lock file is ever left in the corpus.
    """
    return folder_lock(corpus_dir.resolve().parent)


@dataclass(frozen=True)
class Removed:
    file: str  # the document's file name in the corpus
    source: str
    title: str
    metadata_file: str | None  # its .meta.json, removed with it


def remove_document(name: str, corpus_dir: Path, index_dir: Path, embedder, progress=None) -> Removed:
    """Take one document out of the library: its file, its metadata and its passages in the index.

    ``name`` is the file name (``talk.pdf``) or the document's name (``talk``, as ``--document``
    takes it). As ``add`` does, it checks first and commits last: the files are moved aside, the
    index is rebuilt without them, and only then are they deleted; if the rebuild fails they are
    put back, so the corpus and the index stay as they were. Raises UsageError for an unknown
    name, and ParseError when it is the last document (a library needs one).
    """
    corpus_dir, index_dir = Path(corpus_dir), Path(index_dir)
    check_index_target(index_dir, corpus_dir)
    with _library_lock(corpus_dir):
        files = corpus_files(corpus_dir)
        path = next((p for p in files if name in (p.name, p.stem)), None)
        if path is None:
            raise UsageError(f"no document '{name}' in {corpus_dir}: it holds {', '.join(p.name for p in files) or 'none'}")
        if len(files) == 1:
            raise ParseError(path.name, 0, "it is the library's only document; add another before removing it")
        doc = load_document(path)
        meta = metadata_path(path)
        moved = [(p, corpus_dir.parent / f".{corpus_dir.name}.removing-{os.getpid()}-{p.name}")
                 for p in (path, meta) if p.is_file()]
        for original, aside in moved:
            os.replace(original, aside)
        try:
            build_index(corpus_dir, index_dir, embedder, progress=progress)
        except BaseException:
            for original, aside in moved:
                os.replace(aside, original)
            raise
        for _, aside in moved:
            aside.unlink(missing_ok=True)
    return Removed(path.name, doc.source, doc.title, meta.name if any(o == meta for o, _ in moved) else None)
