"""Each perception measure's result: how many were satisfied, out of how many, and how sure.

A measure is the share of respondents to its question who were satisfied: very or fairly
satisfied (for TP08, strongly agree or agree), out of those who chose one of the five
points of its scale. Outside the base are those a filter left out, "not applicable",
unprompted "don't know" or refusals, and those who stopped before the question
(docs/regulation-tsm.md §3 "Calculation", working rule; TODO(verify) against the Technical
requirements §12, NOT FOUND).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.survey.questions import MEASURES, Answer, applies, satisfied
from bot.survey.sampling import margin_of_error


@dataclass(frozen=True)
class MeasureResult:
    """One measure over one tenure's responses.

    ``base`` is the number of answers inside the base; ``share`` is satisfied / base (None
    when nobody is in the base). Both margins are at 95% confidence, with the finite
    population correction when the population is known:

    * ``margin`` at the observed share: the error bar around this share;
    * ``margin_at_half`` at p = 0.5: the worst case, which is how the required accuracy is
      stated and checked (docs/regulation-tsm.md §9 item 14). Label which one is shown.
    """

    code: str
    satisfied: int
    base: int
    share: float | None
    margin: float | None
    margin_at_half: float | None = None


Tally = Mapping[tuple[str, Answer], int]


def tally(responses: Sequence[Mapping[str, Answer]]) -> Counter[tuple[str, Answer]]:
    """How many respondents gave each answer to each measure put to them (a filter's "yes"
    first, ``applies``): what the results are worked out from. ``bot.survey.progress``
    counts the same in the database."""
    counted: Counter[tuple[str, Answer]] = Counter()
    for answers in responses:
        for code in MEASURES:
            answer = answers.get(code)
            if answer is not None and applies(code, answers):
                counted[(code, answer)] += 1
    return counted


def measure_results(
    responses: Sequence[Mapping[str, Answer]], population: int | None
) -> list[MeasureResult]:
    """TP01 to TP12 over ``responses`` (each one respondent's answers by question code);
    see ``results_of``."""
    return results_of(tally(responses), population)


def results_of(answers: Tally, population: int | None) -> list[MeasureResult]:
    """TP01 to TP12, in order, from the ``answers`` each measure was given (``tally``).
    ``population`` is the tenure's number of homes, used for the finite population
    correction; the regulator's choice of population for filtered questions was not found,
    and the whole tenure is the cautious one, as it gives the wider margin
    (docs/regulation-tsm.md §9 item 14, TODO(verify)). When a base is larger than the
    population (a wrong homes figure) the correction is left out, which also errs wide."""
    counted = dict.fromkeys(MEASURES, 0)
    base = dict.fromkeys(MEASURES, 0)
    for (code, answer), count in answers.items():
        verdict = satisfied(code, answer) if code in base else None
        if verdict is None:
            continue
        base[code] += count
        counted[code] += count * verdict
    results: list[MeasureResult] = []
    for code in MEASURES:
        if base[code] == 0:
            results.append(MeasureResult(code, 0, 0, None, None, None))
            continue
        share = counted[code] / base[code]
        within = population if population is not None and population >= base[code] else None
        results.append(
            MeasureResult(
                code,
                counted[code],
                base[code],
                share,
                margin_of_error(share, base[code], within),
                margin_of_error(0.5, base[code], within),
            )
        )
    return results
