"""Parser: the seed's shape, word-for-word segments, and each format rule on a small text."""
import pytest

from panelsearch.errors import ParseError
from panelsearch.readers.txt import parse_file, parse_text


def test_seed_has_15_questions_and_20_segments(seed_doc):
    assert [q.number for q in seed_doc.questions] == list(range(1, 16))
    assert sum(len(q.answers) for q in seed_doc.questions) == 20


def test_seed_speakers_per_question(seed_doc):
    ac = [q.number for q in seed_doc.questions if "AC" in q.speakers]
    sk = [q.number for q in seed_doc.questions if "SK" in q.speakers]
    assert ac == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14, 15]
    assert sk == [2, 5, 6, 7, 13, 14]
    assert seed_doc.speakers == ["AC", "SK"]


def test_seed_segments_word_for_word(seed_doc):
    q = {q.number: q for q in seed_doc.questions}
    assert q[2].answers[0].speaker == "SK"
    assert q[2].answers[0].text == ("Story telling is a wonderful way of integrating qualitative data. Quotes, "
                                    "opinions and emotions can all help to bring data alive.")
    assert q[6].answers[1].text == ("On more local levels, EBEs can be invited to join CCGs, Governance teams "
                                    "etc to give input and advise on / review decisions.")
    assert q[8].text == "What training do you recommend for staff?"
    assert q[8].answers[0].text == "See resources for link to Midlands, course, but there will be others, nationally."
    assert q[14].answers[0].text == ("Co-production is inclusive and needs to demonstrate equality and celebrate "
                                     "diversity. Ultimately it is the choice of the patient to be involved.")
    assert q[13].text.startswith("It feels like an uphill struggle as our Trust is at stage of 'what is co-production?'")
    assert q[13].text.endswith("Are all the involved remunerated or expenses only?")


def test_seed_split_url_comes_back_whole(seed_doc):
    ac7 = seed_doc.questions[6].answers[1].text
    assert ("https://www.england.nhs.uk/publication/working-in-partnership-with-people-and-communities-"
            "statutory-guidance/") in ac7


def test_seed_answer_on_question_line(seed_doc):
    q4 = seed_doc.questions[3]
    assert q4.text == "How early is early when including experts by experience?"
    assert q4.answers[0].text.startswith("There is no such thing as too early.")


def test_question_starts_at_number_and_space():
    doc = parse_text("1 First question?\nAC: one.\n2 Second question?\nSK: two.\n")
    assert [(q.number, q.text) for q in doc.questions] == [(1, "First question?"), (2, "Second question?")]


def test_numbered_line_inside_answer_is_not_a_question():
    doc = parse_text("1 How many trained?\nAC: Last year\n50 staff completed the course.\n2 Next?\nSK: Yes.\n")
    assert len(doc.questions) == 2
    assert doc.questions[0].answers[0].text == "Last year 50 staff completed the course."


def test_question_text_runs_over_lines():
    doc = parse_text("1 How do we start\nwhen nobody has\ntime?\n\nAC: Start small.\n")
    assert doc.questions[0].text == "How do we start when nobody has time?"


def test_answer_starts_on_question_line():
    doc = parse_text("1 Who decides? AC: The team does.\n")
    assert doc.questions[0].text == "Who decides?"
    assert doc.questions[0].answers[0].text == "The team does."


def test_speaker_tag_at_end_of_line():
    doc = parse_text("1 Q?\nSK: First view. AC:\nSecond view.\n")
    assert [(a.speaker, a.text) for a in doc.questions[0].answers] == [("SK", "First view."), ("AC", "Second view.")]


def test_several_speakers_in_turn():
    doc = parse_text("1 Q?\nSK: one. AC: two. SK: three.\n")
    assert [a.speaker for a in doc.questions[0].answers] == ["SK", "AC", "SK"]
    assert [a.text for a in doc.questions[0].answers] == ["one.", "two.", "three."]


def test_speaker_tag_is_two_to_four_capitals():
    doc = parse_text("1 Q?\nABCD: long tag. X: not a tag. ABCDE: not one either.\n")
    answers = doc.questions[0].answers
    assert [a.speaker for a in answers] == ["ABCD"]
    assert answers[0].text == "long tag. X: not a tag. ABCDE: not one either."


def test_hyphen_at_line_end_joins_without_space():
    doc = parse_text("1 Q?\nAC: we co-\nproduce with a long-\nterm view.\n")
    assert doc.questions[0].answers[0].text == "we co-produce with a long-term view."


def test_split_url_joins_whole():
    doc = parse_text("1 Q?\nAC: see https://example.org/working-in-\npartnership-with-people/ today\n")
    assert doc.questions[0].answers[0].text == "see https://example.org/working-in-partnership-with-people/ today"


def test_lines_join_with_one_space_and_whitespace_collapses():
    doc = parse_text("1 Q?\nAC: one   two\t three   \n\n   four\n")
    assert doc.questions[0].answers[0].text == "one two three four"


def test_page_headers_dropped_anywhere():
    doc = parse_text("# Question Answer\n1 Q?\nAC: before\n # Question Answer \nafter\n2 R?\nSK: x\n")
    assert doc.questions[0].answers[0].text == "before after"
    assert len(doc.questions) == 2


def test_windows_line_endings():
    doc = parse_text("1 Q?\r\nAC: one\r\ntwo\r\n")
    assert doc.questions[0].answers[0].text == "one two"


def test_empty_file_error_names_file_and_line(tmp_path):
    path = tmp_path / "empty.txt"
    path.write_text("  \n\n")
    with pytest.raises(ParseError) as err:
        parse_file(path)
    assert err.value.file == "empty.txt" and err.value.line == 1
    assert "empty" in str(err.value)


def test_no_numbered_questions_error(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("\nJust some notes\nAC: about things\n")
    with pytest.raises(ParseError) as err:
        parse_file(path)
    assert str(err.value).startswith("notes.txt:2:")
    assert "no numbered question" in str(err.value)


def test_question_without_speaker_answer_names_the_question(tmp_path):
    path = tmp_path / "qa.txt"
    path.write_text("1 First?\nAC: fine.\n2 Second with no tag?\njust text\n")
    with pytest.raises(ParseError) as err:
        parse_file(path)
    assert err.value.line == 3
    assert "question 2 has no speaker-tagged answer" in str(err.value)


def test_not_utf8_error_names_the_line(tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes("1 Q?\nAC: caf\xe9 au lait\n".encode("latin-1"))
    with pytest.raises(ParseError) as err:
        parse_file(path)
    assert err.value.file == "latin1.txt" and err.value.line == 2
    assert "UTF-8" in str(err.value)


def test_speaker_tag_without_text_is_an_error():
    with pytest.raises(ParseError, match="has no answer text"):
        parse_text("1 Q?\nAC:\nSK: something\n", "x.txt")


def test_tag_lines_are_recorded(seed_doc):
    assert seed_doc.questions[6].answers[1].line == 122  # "AC:" stands at the end of line 122
