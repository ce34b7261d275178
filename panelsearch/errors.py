"""Errors: the library raises these; the CLI and the app turn them into one line for a person."""


class PanelsearchError(Exception):
    """Base class for every error panelsearch reports to a person."""

    exit_code = 1


class ParseError(PanelsearchError):
    """A document could not be read as Q&A; names the file and the line."""

    def __init__(self, file: str, line: int, message: str):
        self.file, self.line, self.message = str(file), line, message
        super().__init__(f"{self.file}:{line}: {message}")


class IndexMissingError(PanelsearchError):
    """No usable index where one was expected."""


class StaleIndexError(PanelsearchError):
    """The index was built from another corpus or model."""


class CorruptIndexError(PanelsearchError):
    """The index files are damaged or out of step with each other."""


class UsageError(PanelsearchError, ValueError):
    """The caller asked for something that makes no sense (empty query, k=0, unknown speaker)."""

    exit_code = 2


class UnsafeIndexTargetError(UsageError):
    """The index folder asked for is not one a build may replace (the corpus, a file, someone's folder)."""


class IndexWriteError(PanelsearchError, OSError):
    """The index could not be written (a full disk, say); the previous index is whole."""
