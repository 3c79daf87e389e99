"""The survey's questions: word for word from the research note, in order, with filters."""

from __future__ import annotations

import dataclasses
import re
import string
from collections.abc import Mapping
from pathlib import Path

import pytest

from bot.survey.questions import (
    BY_CODE,
    GATES,
    LABELS,
    LCHO_MEASURES,
    MEASURES,
    QUESTIONS,
    Answer,
    Question,
    Scale,
    accepts,
    applies,
    next_question,
    options,
    question,
    satisfied,
    wording,
)

NOTE = Path(__file__).resolve().parents[2] / "docs" / "regulation-tsm.md"
SATISFACTION = (
    Answer.VERY_SATISFIED,
    Answer.FAIRLY_SATISFIED,
    Answer.NEITHER,
    Answer.FAIRLY_DISSATISFIED,
    Answer.VERY_DISSATISFIED,
)
FILTER_OF_ROW = {"TP02": "F_REPAIR", "TP09": "F_COMPLAINT", "TP10": "F_COMMUNAL"}


def note_wording() -> dict[str, str]:
    """The quoted strings of the question table in docs/regulation-tsm.md §1, by code, with
    "[landlord]" as "{landlord}"; a row with a filter gives the filter's text too."""
    found: dict[str, str] = {}
    section = NOTE.read_text(encoding="utf-8").split("\n## 1.")[1].split("\n## 2.")[0]
    for line in section.splitlines():
        row = re.match(r"\| (TP\d\d) \| [^|]+ \| ([^|]+) \|", line)
        if row is None:
            continue
        code, cell = row.groups()
        quoted = [q.replace("[landlord]", "{landlord}") for q in re.findall(r'"([^"]+)"', cell)]
        if code in FILTER_OF_ROW:
            found[FILTER_OF_ROW[code]], found[code] = quoted[0], quoted[1]
        else:
            found[code] = quoted[0]
    return found


def test_every_text_is_the_notes_word_for_word() -> None:
    expected = note_wording()
    # The export dropped the filter's "?"; §1 says to keep the regulator's punctuation.
    # TODO(verify) against Table 2.
    expected["F_COMMUNAL"] += "?"
    assert len(expected) == 15
    assert {q.code: q.text for q in QUESTIONS} == expected


def test_texts_take_only_the_landlord_placeholder() -> None:
    for one in QUESTIONS:
        fields = {f for _t, f, _s, _c in string.Formatter().parse(one.text) if f is not None}
        assert fields <= {"landlord"}, one.code
    assert "{landlord}’s approach" in BY_CODE["TP09"].text
    assert "{landlord}’s approach" in BY_CODE["TP12"].text


def test_each_text_cites_its_source() -> None:
    for one in QUESTIONS:
        assert "docs/regulation-tsm.md §1" in one.source, one.code
        assert "Table 2 (NOT FOUND)" in one.source, one.code
    assert "arap.co.uk" in BY_CODE["TP01"].source and "wandleha" in BY_CODE["TP01"].source
    assert "arap.co.uk" not in BY_CODE["TP05"].source  # the single secondary source


def test_order_is_tp01_first_then_numeric_with_filters_before_their_questions() -> None:
    assert [q.code for q in QUESTIONS] == [
        "TP01",
        "F_REPAIR",
        "TP02",
        "TP03",
        "TP04",
        "TP05",
        "TP06",
        "TP07",
        "TP08",
        "F_COMPLAINT",
        "TP09",
        "F_COMMUNAL",
        "TP10",
        "TP11",
        "TP12",
    ]
    assert tuple(q.code for q in QUESTIONS if q.code.startswith("TP")) == MEASURES
    assert GATES == {
        "TP02": "F_REPAIR",
        "TP03": "F_REPAIR",
        "TP09": "F_COMPLAINT",
        "TP10": "F_COMMUNAL",
    }


def test_scales() -> None:
    assert {q.code for q in QUESTIONS if q.scale is Scale.YES_NO} == set(GATES.values())
    assert [q.code for q in QUESTIONS if q.scale is Scale.AGREEMENT] == ["TP08"]
    assert options(BY_CODE["TP01"]) == SATISFACTION
    assert options(BY_CODE["TP08"]) == (
        Answer.STRONGLY_AGREE,
        Answer.AGREE,
        Answer.NEITHER_AGREE,
        Answer.DISAGREE,
        Answer.STRONGLY_DISAGREE,
    )
    assert options(BY_CODE["F_REPAIR"]) == (Answer.YES, Answer.NO)


def test_not_applicable_is_off_everywhere_until_checked() -> None:
    # Must not be offered on TP01 and TP04 (COPY), nor TP02, TP03, TP09, TP10 (SECONDARY);
    # the other six default to off (docs/regulation-tsm.md §9 item 3). TODO(verify)
    assert [q.code for q in QUESTIONS if q.not_applicable] == []
    for one in QUESTIONS:
        assert Answer.NOT_APPLICABLE not in options(one)
        assert Answer.NO_ANSWER not in options(one)


def test_a_flagged_question_offers_not_applicable_last() -> None:
    flagged = dataclasses.replace(BY_CODE["TP05"], not_applicable=True)
    assert options(flagged) == (*SATISFACTION, Answer.NOT_APPLICABLE)
    assert accepts(flagged, Answer.NOT_APPLICABLE)
    assert not accepts(BY_CODE["TP05"], Answer.NOT_APPLICABLE)


def test_accepts_its_buttons_and_an_unprompted_no_answer() -> None:
    assert accepts(BY_CODE["TP01"], Answer.FAIRLY_SATISFIED)
    assert accepts(BY_CODE["TP01"], Answer.NO_ANSWER)
    assert accepts(BY_CODE["F_REPAIR"], Answer.NO_ANSWER)
    assert not accepts(BY_CODE["TP01"], Answer.AGREE)
    assert not accepts(BY_CODE["TP08"], Answer.VERY_SATISFIED)
    assert not accepts(BY_CODE["F_COMPLAINT"], Answer.NEITHER)


def test_every_answer_has_a_label() -> None:
    assert set(LABELS) == set(Answer)
    assert LABELS[Answer.NEITHER] == "Neither satisfied nor dissatisfied"


def test_question_by_code() -> None:
    assert question("TP07") is BY_CODE["TP07"]
    with pytest.raises(ValueError, match="TP13"):
        question("TP13")


def walk(reply: Mapping[str, Answer], **limit: tuple[str, ...]) -> list[str]:
    """The codes asked, in order, of a respondent who answers ``reply`` to the filters and
    "fairly satisfied" (or "agree") to the rest."""
    answers: dict[str, Answer] = {}
    while (asked := next_question(answers, **limit)) is not None:
        assert asked.code not in answers
        default = Answer.AGREE if asked.scale is Scale.AGREEMENT else Answer.FAIRLY_SATISFIED
        answers[asked.code] = reply.get(asked.code, default)
    return list(answers)


def test_yes_to_every_filter_asks_all_fifteen() -> None:
    everything = dict.fromkeys(GATES.values(), Answer.YES)
    assert walk(everything) == [q.code for q in QUESTIONS]


def test_no_to_every_filter_skips_the_gated_questions() -> None:
    nothing = dict.fromkeys(GATES.values(), Answer.NO)
    assert walk(nothing) == [
        "TP01",
        "F_REPAIR",
        "TP04",
        "TP05",
        "TP06",
        "TP07",
        "TP08",
        "F_COMPLAINT",
        "F_COMMUNAL",
        "TP11",
        "TP12",
    ]


@pytest.mark.parametrize(
    ("gate", "skipped"),
    [("F_REPAIR", ["TP02", "TP03"]), ("F_COMPLAINT", ["TP09"]), ("F_COMMUNAL", ["TP10"])],
)
@pytest.mark.parametrize("reply", [Answer.NO, Answer.NO_ANSWER])
def test_anything_but_yes_to_one_filter_skips_only_its_questions(
    gate: str, skipped: list[str], reply: Answer
) -> None:
    others = {g: Answer.YES for g in GATES.values() if g != gate}
    asked = walk({**others, gate: reply})
    assert asked == [q.code for q in QUESTIONS if q.code not in skipped]


def test_next_question_steps_from_where_the_resident_left_off() -> None:
    assert next_question({}) is BY_CODE["TP01"]
    assert next_question({"TP01": Answer.NO_ANSWER}) is BY_CODE["F_REPAIR"]
    asked = {"TP01": Answer.NEITHER, "F_REPAIR": Answer.YES}
    assert next_question(asked) is BY_CODE["TP02"]
    assert next_question({**asked, "F_REPAIR": Answer.NO}) is BY_CODE["TP04"]
    everything = {q.code: Answer.YES for q in QUESTIONS}
    assert next_question(everything) is None


def test_the_shared_owners_set_asks_no_repair_questions() -> None:
    assert ("TP01", *(f"TP{n:02d}" for n in range(5, 13))) == LCHO_MEASURES
    asked = walk(dict.fromkeys(GATES.values(), Answer.YES), measures=LCHO_MEASURES)
    assert asked == [
        "TP01",
        "TP05",
        "TP06",
        "TP07",
        "TP08",
        "F_COMPLAINT",
        "TP09",
        "F_COMMUNAL",
        "TP10",
        "TP11",
        "TP12",
    ]


def test_applies() -> None:
    assert applies("TP01", {})
    assert not applies("TP02", {})
    assert applies("TP02", {"F_REPAIR": Answer.YES})
    assert not applies("TP09", {"F_COMPLAINT": Answer.NO})
    assert not applies("TP10", {"F_COMMUNAL": Answer.NO_ANSWER})


@pytest.mark.parametrize(
    ("code", "answer", "counted"),
    [
        ("TP01", Answer.VERY_SATISFIED, True),
        ("TP01", Answer.FAIRLY_SATISFIED, True),
        ("TP01", Answer.NEITHER, False),
        ("TP01", Answer.FAIRLY_DISSATISFIED, False),
        ("TP12", Answer.VERY_DISSATISFIED, False),
        ("TP08", Answer.STRONGLY_AGREE, True),
        ("TP08", Answer.AGREE, True),
        ("TP08", Answer.NEITHER_AGREE, False),
        ("TP08", Answer.DISAGREE, False),
        ("TP08", Answer.STRONGLY_DISAGREE, False),
        ("TP05", Answer.NOT_APPLICABLE, None),
        ("TP01", Answer.NO_ANSWER, None),
        ("TP08", Answer.NO_ANSWER, None),
    ],
)
def test_satisfied(code: str, answer: Answer, counted: bool | None) -> None:
    assert satisfied(code, answer) is counted


def test_satisfied_refuses_filters_and_answers_off_the_scale() -> None:
    with pytest.raises(ValueError, match="not a measure"):
        satisfied("F_REPAIR", Answer.YES)
    with pytest.raises(ValueError, match="not an answer to TP08"):
        satisfied("TP08", Answer.VERY_SATISFIED)
    with pytest.raises(ValueError, match="not an answer to TP01"):
        satisfied("TP01", Answer.YES)


def test_wording_translates_then_fills_in_the_landlord() -> None:
    def shout(text: str) -> str:
        return text.upper().replace("{LANDLORD}", "{landlord}")

    assert wording(BY_CODE["TP09"], str, "Riverside Homes") == (
        "How satisfied or dissatisfied are you with Riverside Homes’s approach to "
        "complaints handling?"
    )
    assert wording(BY_CODE["F_REPAIR"], shout, "{odd} name") == (
        "HAS {odd} name CARRIED OUT A REPAIR TO YOUR HOME IN THE LAST 12 MONTHS?"
    )


def test_questions_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        BY_CODE["TP01"].text = "changed"  # type: ignore[misc]
    assert isinstance(QUESTIONS[0], Question)
