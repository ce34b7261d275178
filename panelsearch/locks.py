"""Folder locks: one writer at a time per folder, across processes (flock) and threads.

A lock is taken on the folder itself, so no lock file is ever left behind. It is re-entrant
within a thread: `add` holds the library's lock while its build takes the index's, and both may
be the same project folder.
"""
from __future__ import annotations

import fcntl
import os
import threading
from contextlib import contextmanager
from pathlib import Path

_held = threading.local()


@contextmanager
def folder_lock(folder: Path):
    """Hold an exclusive lock on ``folder`` (created if missing) for the ``with`` block."""
    Path(folder).mkdir(parents=True, exist_ok=True)
    key = os.path.realpath(folder)
    held = _held.__dict__.setdefault("folders", set())
    if key in held:  # this thread holds it already
        yield
        return
    fd = os.open(key, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        held.add(key)
        try:
            yield
        finally:
            held.discard(key)
    finally:
        os.close(fd)  # closing releases the lock
