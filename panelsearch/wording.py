"""Plain-text phrases the page and the handout share: lists, counts and question labels."""
from __future__ import annotations

from typing import Iterable


def and_list(items: Iterable[str]) -> str:
    """'A', 'A and B', 'A, B and C'."""
    items = list(items)
    return " and ".join(items) if len(items) < 3 else ", ".join(items[:-1]) + " and " + items[-1]


def plural(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def short_question(question: str, limit: int = 150) -> str:
    """The question, cut at a word boundary near ``limit`` characters (long audience questions)."""
    question = " ".join(question.split())
    if len(question) <= limit:
        return question
    cut = question[:limit].rsplit(" ", 1)[0].rstrip(",;:.")
    return cut + "…"


def question_label(number: int, question: str, limit: int | None = 150) -> str:
    """``Q4 · How early is early when including experts by experience?``."""
    return f"Q{number} · {short_question(question, limit) if limit else ' '.join(question.split())}"
