"""Passage stage: each speaker's answer -> focused passages of a few sentences, plus the whole answer.

A long answer embedded whole dilutes a short point inside it, so answers are split on sentence
boundaries into chunks of bounded length. The whole answer is kept as a second, coarser passage:
scoring both granularities lets a broad query match the answer and a narrow one the sentence.
"""
from __future__ import annotations

import re

from .models import Document, Passage, passage_id

MAX_WORDS = 60
# A sentence ends at . ! or ? followed by space and something that starts a sentence.
# "E.g." and "i.e." never end one; nor does a list marker such as "1.".
SENTENCE_END_RE = re.compile(r"(?<=[.!?])['\")]?\s+(?=[A-Z0-9'\"(])")
ABBREVIATIONS = ("e.g.", "i.e.", "Ms.", "Mr.", "Dr.", "vs.")


def split_sentences(text: str) -> list[str]:
    """Split text into sentences, keeping abbreviations and numbered lists (``1. 2.``) together."""
    sentences: list[str] = []
    start = 0
    for m in SENTENCE_END_RE.finditer(text):
        piece = text[start:m.start()].strip()
        last = piece.rsplit(" ", 1)[-1]
        if last.lower() in {a.lower() for a in ABBREVIATIONS} or re.fullmatch(r"\d{1,2}\.", last):
            continue  # "E.g. 'it's ok'" or "1. Commitment" is not a sentence end
        sentences.append(text[start:m.end()].strip())
        start = m.end()
    tail = text[start:].strip()
    if tail:
        sentences.append(tail)
    return [s for s in sentences if s]


def _word_count(text: str) -> int:
    return len(text.split())


def chunk_sentences(sentences: list[str], max_words: int = MAX_WORDS) -> list[str]:
    """Pack consecutive sentences into chunks of at most ``max_words`` words.

    A single sentence longer than ``max_words`` is cut at word boundaries.
    """
    chunks: list[str] = []
    current: list[str] = []
    for sentence in sentences:
        words = sentence.split()
        while len(words) > max_words:  # a run-on sentence: cut it
            if current:
                chunks.append(" ".join(current))
                current = []
            chunks.append(" ".join(words[:max_words]))
            words = words[max_words:]
        sentence = " ".join(words)
        if not sentence:
            continue
        if current and _word_count(" ".join(current)) + len(words) > max_words:
            chunks.append(" ".join(current))
            current = []
        current.append(sentence)
    if current:
        chunks.append(" ".join(current))
    return chunks


def document_passages(doc: Document, max_words: int = MAX_WORDS) -> list[Passage]:
    """All passages of a document, in reading order, with stable ids.

    Chunk ids look like ``source:q04:AC:2`` (second chunk of AC's answer to Q4); the whole
    answer is ``source:q04:AC:all``.
    """
    passages: list[Passage] = []
    for q in doc.questions:
        by_speaker: dict[str, list[str]] = {}
        for answer in q.answers:
            by_speaker.setdefault(answer.speaker, []).append(answer.text)
        for speaker, texts in by_speaker.items():
            chunks = [c for text in texts for c in chunk_sentences(split_sentences(text), max_words)]
            for position, chunk in enumerate(chunks, start=1):
                passages.append(Passage(passage_id(doc.source, q.number, speaker, position), doc.source, q.number, q.text,
                                        speaker, chunk, position, "chunk"))
            if len(chunks) > 1:
                passages.append(Passage(passage_id(doc.source, q.number, speaker, "all"), doc.source, q.number, q.text,
                                        speaker, " ".join(texts), 0, "answer"))
    return passages
