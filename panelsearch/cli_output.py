"""What the CLI prints: hits, results and closest questions (with control characters shown, never
obeyed), the batch file it reads, and the progress bars of a build."""
from __future__ import annotations

import re
import sys
from pathlib import Path

from .errors import PanelsearchError

def print_hits(hits, indent: str = "") -> None:
    for h in hits:
        who = h.speaker if h.speaker_name in ("", h.speaker) else f"{h.speaker_name} ({h.speaker})"
        # Corpus text and metadata are cleaned when read, but an index built before that may not be.
        print(shown(f"{indent}{h.rank}. [{who}] Q{h.question_number}: {h.question}"))
        print(shown(f"{indent}   {h.text}"))
        print(shown(f"{indent}   ({h.relevance}, score {h.score:.2f}, {h.title or h.source}, {h.passage_id})"))


# Text from a query, a document or its metadata is printed to a terminal: its control characters
# are shown, never obeyed (ESC[2J, or ESC]52 writing the clipboard).
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def shown(text: str) -> str:
    return _CONTROL_RE.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def read_batch(name: str) -> list[str]:
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


def print_closest(questions) -> None:
    for q in questions:
        print(shown(f"  Q{q.number} ({', '.join(q.speakers)}; {q.title or q.source}): {q.question}"))


def print_result(result) -> None:
    """High confidence: the passages. Medium: a caution, the passages, then the closest questions.
    Low: the panel did not answer it; the closest questions, then the passages anyway."""
    print(f"Query: {shown(result.query)}")
    if result.notice:
        print(f"Note: {result.notice}")
    confidence = getattr(result, "confidence", "low" if result.low_confidence else "high")
    if confidence == "low":
        print("The panel did not answer this. The questions it answered that come closest:")
        print_closest(result.closest_questions)
        if result.hits:
            print("\nPassages anyway (none of them answers the query well):")
    elif confidence == "medium":
        print("Caution: the panel may only partly cover this; read the passages with care.")
    print_hits(result.hits)
    if confidence == "medium" and result.closest_questions:
        print("\nThe questions the panel answered that come closest:")
        print_closest(result.closest_questions)


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
