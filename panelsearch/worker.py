"""Bounded parsing: read an added file in a child process that cannot take the machine down.

A hostile upload can make a reader use gigabytes (a zip bomb, a table cell spanning millions of
columns) or minutes (pathological layouts). The readers refuse what they can recognise; this
module bounds the rest. ``parse_bounded`` runs ``readers.load_document`` in a child process
started fresh ("spawn", never "fork": the parent may hold threads and a loaded model) that caps
its own address space (RLIMIT_AS) and CPU time (RLIMIT_CPU); the parent kills it after a
wall-clock timeout. Whatever stops the child becomes a ParseError naming the file, so a caller
refuses that file and carries on.

The memory cap (RLIMIT_AS counts address space, not resident memory), measured on Linux, Python
3.11: a child that has imported the readers maps about 180 MB (the interpreter, numpy and scipy,
lxml); reading the seed peaks at 181 MB as Markdown, 193 MB as a Word table, 196 MB as a PDF
table, and a 500-page PDF of text at 212-224 MB (82 MB resident; pages are closed as they are
read, where keeping them took 2 GB). 1 GiB is over four times the largest, and well below the
2.3 GB that one hostile Word table took before its cells were bounded.

Callers that are scripts must guard their entry point with ``if __name__ == "__main__":``, as
multiprocessing's "spawn" requires: the child imports the parent's main script (not a
``python -m`` package's ``__main__``, nor the Streamlit page).
"""
from __future__ import annotations

import ctypes
import multiprocessing
import resource
import signal
from dataclasses import dataclass
from pathlib import Path

from . import config
from .errors import ParseError
from .models import Document
from .readers.common import shorten
from .text import clean_text

TOO_COMPLEX = "too large or too complex to read safely"
PR_SET_PDEATHSIG = 1  # prctl option (linux/prctl.h): a signal for this process when its parent dies


@dataclass(frozen=True)
class Parsed:
    document: Document
    peak_rss: int  # the child's peak resident memory in bytes, as it measured it (ru_maxrss)


def parse_bounded(path: Path | str, meta_path: Path | str | None = None) -> Document:
    """``readers.load_document(path, meta_path)`` in a capped child process.

    Raises ParseError as load_document does, and also when the child runs out of memory, CPU time
    or wall-clock time, recurses too deeply, or dies: "too large or too complex to read safely".
    """
    return run_bounded(path, meta_path).document


def run_bounded(path: Path | str, meta_path: Path | str | None = None, *, memory: int | None = None,
                cpu: int | None = None, timeout: float | None = None) -> Parsed:
    """As parse_bounded, with the caps given here (defaults from config) and the child's peak memory."""
    memory = config.PARSE_MEMORY_BYTES if memory is None else memory
    cpu = config.PARSE_CPU_SECONDS if cpu is None else cpu
    timeout = config.PARSE_TIMEOUT_SECONDS if timeout is None else timeout
    name = Path(path).name
    context = multiprocessing.get_context("spawn")
    receiving, sending = context.Pipe(duplex=False)
    child = context.Process(target=_child, args=(sending, str(path), meta_path and str(meta_path), memory, cpu),
                            name=f"panelsearch-parse {name}", daemon=True)
    child.start()
    sending.close()  # the child holds the only writing end now: its death reads as end of file
    try:
        outcome = _receive(receiving, timeout)
    finally:  # whatever happened, including KeyboardInterrupt here: no child is left behind
        receiving.close()
        if child.is_alive():
            child.kill()
        child.join()
    kind, value, peak = outcome if outcome else ("exit", child.exitcode, 0)
    if kind == "document":
        return Parsed(value, peak)
    if kind == "parse error":
        raise ParseError(*value)
    raise ParseError(name, 0, f"{TOO_COMPLEX} ({_which_cap(kind, value, memory, cpu, timeout)})")


def _receive(connection, timeout: float):
    """The child's (kind, value, peak) message; ("timeout", ...) after ``timeout`` seconds; None if
    the child died without sending one."""
    if not connection.poll(timeout):
        return ("timeout", None, 0)
    try:
        return connection.recv()
    except (EOFError, OSError):
        return None


def _which_cap(kind: str, value, memory: int, cpu: int, timeout: float) -> str:
    if kind == "memory":
        return f"it needed more than the {memory / 2**20:,.0f} MB of memory a reader may use"
    if kind == "recursion":
        return "it is nested too deeply"
    if kind == "timeout":
        return f"it was still being read after {timeout:g} s"
    if kind == "error":
        return f"the reader failed: {shorten(clean_text(value), 120)}"
    if value == -signal.SIGXCPU:
        return f"it needed more than the {cpu} s of processing time a reader may use"
    if value in (-signal.SIGSEGV, -signal.SIGABRT, -signal.SIGKILL):
        # past the address-space cap a C library or CPython itself may crash rather than raise
        # MemoryError; SIGKILL is the kernel's out-of-memory killer (the CPU cap sends SIGXCPU first)
        return _which_cap("memory", None, memory, cpu, timeout)
    return f"the reader stopped unexpectedly, exit code {value}"


def _limit(memory: int, cpu: int) -> None:
    """Cap this process: address space to ``memory`` bytes, CPU time to ``cpu`` seconds (SIGXCPU
    ends it then, SIGKILL a few seconds later if it ignores that), no core file when it is ended,
    and killed with its parent, should the parent itself be killed before it can end the child."""
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: the CPU cap still ends an orphan
        pass


def proc_status_bytes(field: str) -> int | None:
    """A memory figure of this process from /proc/self/status (``VmRSS``, ``VmHWM``), in bytes;
    None where there is no /proc."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(f"{field}:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def _peak_rss() -> int:
    """This process's own peak resident memory, in bytes. VmHWM is its memory map's high-water mark;
    ru_maxrss is not: Linux carries it over from the parent through fork and exec, so a child of a
    2 GB process would report 2 GB."""
    peak = proc_status_bytes("VmHWM")
    return peak if peak is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KB


def _child(connection, path: str, meta_path: str | None, memory: int, cpu: int) -> None:
    """The child's whole life: cap itself, read the file, send back one message, exit.

    ParseError does not pickle (its __init__ takes three arguments), so it travels as its parts.
    """
    # The readers and the libraries they use are imported first, uncapped: loading a library maps
    # its files, which an address-space cap would refuse as if the document were to blame.
    import docx  # noqa: F401
    import pdfplumber  # noqa: F401

    from .readers import load_document

    _limit(memory, cpu)
    try:
        message = ("document", load_document(Path(path), Path(meta_path) if meta_path else None), _peak_rss())
    except ParseError as err:
        message = ("parse error", (err.file, err.line, err.message), _peak_rss())
    except MemoryError:
        message = ("memory", None, _peak_rss())
    except RecursionError:
        message = ("recursion", None, _peak_rss())
    except Exception as err:  # a reader's bug on a strange file: refuse the file, not the batch
        message = ("error", f"{type(err).__name__}: {str(err)[:200]}", _peak_rss())
    try:
        connection.send(message)
    except MemoryError:  # too large to send back within the cap
        connection.send(("memory", None, _peak_rss()))
    finally:
        connection.close()
