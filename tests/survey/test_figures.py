"""Each measure's share, base and margin, on a small example worked out by hand."""

from __future__ import annotations

import pytest

from bot.survey.figures import MeasureResult, measure_results
from bot.survey.questions import MEASURES, Answer

A = Answer
RESPONSES = [
    {
        "TP01": A.VERY_SATISFIED,
        "F_REPAIR": A.YES,
        "TP02": A.FAIRLY_SATISFIED,
        "TP03": A.VERY_DISSATISFIED,
        "TP08": A.AGREE,
        "F_COMPLAINT": A.NO,
    },
    {
        "TP01": A.NEITHER,
        "F_REPAIR": A.NO,
        "TP08": A.DISAGREE,
        "F_COMPLAINT": A.YES,
        "TP09": A.NO_ANSWER,
    },
    {
        "TP01": A.FAIRLY_SATISFIED,
        "F_REPAIR": A.YES,
        "TP02": A.VERY_DISSATISFIED,
        "TP03": A.NO_ANSWER,
        "TP08": A.STRONGLY_AGREE,
    },
    {"TP01": A.NO_ANSWER},  # stopped after the first question
    # A stray TP02 after a "no" to the repair filter is filtered out, so not in the base.
    {"TP01": A.FAIRLY_DISSATISFIED, "F_REPAIR": A.NO, "TP02": A.VERY_SATISFIED},
]


def by_code(results: list[MeasureResult]) -> dict[str, MeasureResult]:
    assert [r.code for r in results] == list(MEASURES)
    return {r.code: r for r in results}


def test_hand_computed_example_with_a_population_of_ten() -> None:
    found = by_code(measure_results(RESPONSES, population=10))
    # TP01: very, neither, fairly, (no answer), fairly dissatisfied: 2 of 4.
    # Margin 1.96 × √(0.25/4 × 6/9) = 0.49 × √(2/3) = 0.400083, the same at p = 0.5.
    tp01 = found["TP01"]
    assert (tp01.code, tp01.satisfied, tp01.base, tp01.share) == ("TP01", 2, 4, 0.5)
    assert tp01.margin == pytest.approx(0.400083, abs=1e-6)
    assert tp01.margin_at_half == tp01.margin
    # TP02: fairly, very dissatisfied (the filtered-out answer left out): 1 of 2.
    # 1.96 × √(0.25/2 × 8/9) = 1.96 × √(1/9) = 1.96/3.
    tp02 = found["TP02"]
    assert (tp02.satisfied, tp02.base, tp02.share) == (1, 2, 0.5)
    assert tp02.margin == pytest.approx(1.96 / 3)
    # TP03: very dissatisfied, (no answer): 0 of 1. At the observed share the margin is 0;
    # at p = 0.5 it is 1.96 × √(0.25/1 × 9/9) = 0.98.
    tp03 = found["TP03"]
    assert (tp03.satisfied, tp03.base, tp03.share) == (0, 1, 0.0)
    assert tp03.margin == 0
    assert tp03.margin_at_half == pytest.approx(0.98)
    # TP08: agree, disagree, strongly agree: 2 of 3.
    # 1.96 × √(2/3 × 1/3 / 3 × 7/9) = 1.96 × √(14/243) = 0.470454; at p = 0.5:
    # 1.96 × √(0.25/3 × 7/9) = 1.96 × √(7/108) = 0.498992.
    tp08 = found["TP08"]
    assert (tp08.satisfied, tp08.base) == (2, 3)
    assert tp08.share == pytest.approx(2 / 3)
    assert tp08.margin == pytest.approx(0.470454, abs=1e-6)
    assert tp08.margin_at_half == pytest.approx(0.498992, abs=1e-6)
    # TP09: the only complainant gave no answer. Nothing else was asked.
    for code in ("TP04", "TP05", "TP09", "TP10", "TP12"):
        assert found[code] == MeasureResult(code, 0, 0, None, None, None)


def test_without_a_population_there_is_no_correction() -> None:
    found = by_code(measure_results(RESPONSES, population=None))
    # 1.96 × √(0.25/4) = 1.96 × 0.25 = 0.49.
    assert found["TP01"].margin == pytest.approx(0.49)
    # 1.96 × √(0.25/2) = 0.692965.
    assert found["TP02"].margin == pytest.approx(0.692965, abs=1e-6)


def test_a_population_smaller_than_the_base_is_left_out() -> None:
    """A wrong homes figure errs wide rather than failing the dashboard."""
    assert measure_results(RESPONSES, population=3)[0].margin == pytest.approx(0.49)
    assert measure_results(RESPONSES, population=4)[0].margin == 0  # a census of four


def test_no_responses() -> None:
    results = measure_results([], population=100)
    assert [r.base for r in results] == [0] * 12
    assert all(r.share is None and r.margin is None for r in results)


def test_an_answer_off_the_scale_is_refused() -> None:
    with pytest.raises(ValueError, match="TP01"):
        measure_results([{"TP01": A.YES}], population=None)
