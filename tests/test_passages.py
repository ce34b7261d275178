"""Passages: bounded, sentence-aligned, complete, with stable ids."""
from panelsearch.passages import MAX_WORDS, chunk_sentences, document_passages, split_sentences


def test_split_sentences_keeps_abbreviations_and_lists():
    text = "Agree rules. E.g. 'it's ok to ask' etc. There are 6 phases. 1. Commitment, 2. Contact. Done!"
    assert split_sentences(text) == ["Agree rules.", "E.g. 'it's ok to ask' etc.", "There are 6 phases.",
                                     "1. Commitment, 2. Contact.", "Done!"]


def test_chunks_are_bounded_and_lose_no_words():
    sentences = [f"Sentence number {i} has a few words in it." for i in range(30)]
    chunks = chunk_sentences(sentences, max_words=25)
    assert all(len(c.split()) <= 25 for c in chunks)
    assert " ".join(chunks).split() == " ".join(sentences).split()


def test_run_on_sentence_is_cut():
    chunks = chunk_sentences(["word " * 130], max_words=60)
    assert [len(c.split()) for c in chunks] == [60, 60, 10]


def test_seed_passages_cover_every_segment(seed_doc):
    passages = document_passages(seed_doc)
    chunks = [p for p in passages if p.kind == "chunk"]
    assert all(len(p.text.split()) <= MAX_WORDS for p in chunks)
    for q in seed_doc.questions:
        for speaker in q.speakers:
            own = [p for p in chunks if p.question_number == q.number and p.speaker == speaker]
            full = " ".join(a.text for a in q.answers if a.speaker == speaker)
            assert " ".join(p.text for p in own) == full
            assert [p.position for p in own] == list(range(1, len(own) + 1))


def test_long_answer_is_split(seed_doc):
    q9 = [p for p in document_passages(seed_doc) if p.question_number == 9 and p.kind == "chunk"]
    assert len(q9) >= 4  # a 240-word answer becomes several focused passages


def test_passage_ids_are_stable_and_unique(seed_doc):
    passages = document_passages(seed_doc)
    ids = [p.passage_id for p in passages]
    assert len(ids) == len(set(ids))
    assert "coproduction-qi-webinar-qa:q04:AC:2" in ids
    assert ids == [p.passage_id for p in document_passages(seed_doc)]
    p = next(p for p in passages if p.passage_id == "coproduction-qi-webinar-qa:q04:AC:2")
    assert (p.source, p.question_number, p.speaker, p.position) == ("coproduction-qi-webinar-qa", 4, "AC", 2)
    assert p.question == "How early is early when including experts by experience?"
