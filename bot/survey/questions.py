"""The TSM perception survey's questions, answer options and order, and which answers count.

The regulator's own question table (Table 2 of *Tenant Satisfaction Measures: Tenant survey
requirements*) was not found. The wording here is copied word for word from
docs/regulation-tsm.md §1, which took it from copies that agree with each other; each
question carries a ``source`` saying which copies. TP05 to TP12 and the complaint and
communal-area filters rest on a single secondary source.
TODO(verify): compare every string, scale and "not applicable" flag with Table 2 (or
Part B of the TSM Direction) before the survey goes live.

Every text is an English msgid (marked with ``N_`` so ``make messages`` extracts it) with a
``{landlord}`` placeholder. The caller translates it when showing it and fills in the name
residents know, e.g. ``_(question.text).format(landlord=name)`` (see ``wording``).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from enum import StrEnum

from bot.i18n import N_, Gettext


class Answer(StrEnum):
    """One answer as stored. The values are kept in the database: never change one."""

    VERY_SATISFIED = "very_satisfied"
    FAIRLY_SATISFIED = "fairly_satisfied"
    NEITHER = "neither"
    FAIRLY_DISSATISFIED = "fairly_dissatisfied"
    VERY_DISSATISFIED = "very_dissatisfied"
    STRONGLY_AGREE = "strongly_agree"
    AGREE = "agree"
    NEITHER_AGREE = "neither_agree"
    DISAGREE = "disagree"
    STRONGLY_DISAGREE = "strongly_disagree"
    YES = "yes"
    NO = "no"
    NOT_APPLICABLE = "not_applicable"
    # "Don't know" or "rather not say" typed unprompted: recorded, never offered as a button
    # (docs/regulation-tsm.md §2, Acuity's copy of the rule; §9 item 4).
    NO_ANSWER = "no_answer"


class Scale(StrEnum):
    """The kind of answer a question takes."""

    SATISFACTION = "satisfaction"
    AGREEMENT = "agreement"
    YES_NO = "yes_no"


@dataclass(frozen=True)
class Question:
    """One question: its code, its English text (a msgid with ``{landlord}``), its scale,
    whether a "not applicable / don't know" button is offered, and where the text is from."""

    code: str
    text: str
    scale: Scale
    not_applicable: bool
    source: str


# The five answers of each scale, in the order they are offered (docs/regulation-tsm.md §2:
# "very satisfied, fairly satisfied, neither satisfied nor dissatisfied, fairly dissatisfied
# and very dissatisfied", COPY of the regulator's wording by Acuity).
SCALE_OPTIONS: Mapping[Scale, tuple[Answer, ...]] = {
    Scale.SATISFACTION: (
        Answer.VERY_SATISFIED,
        Answer.FAIRLY_SATISFIED,
        Answer.NEITHER,
        Answer.FAIRLY_DISSATISFIED,
        Answer.VERY_DISSATISFIED,
    ),
    # TODO(verify): the five agree/disagree labels of TP08 were not found
    # (docs/regulation-tsm.md §2); these are the usual ones.
    Scale.AGREEMENT: (
        Answer.STRONGLY_AGREE,
        Answer.AGREE,
        Answer.NEITHER_AGREE,
        Answer.DISAGREE,
        Answer.STRONGLY_DISAGREE,
    ),
    # TODO(verify): whether the filter questions take "don't know" was not found (§2).
    Scale.YES_NO: (Answer.YES, Answer.NO),
}

# The answers that count as satisfied: "very satisfied or fairly satisfied" (docs/regulation-tsm.md
# §3, Acuity COPY); for TP08 "Agreement that..." means strongly agree or agree (§3, NOT FOUND as
# text: TODO(verify)).
_COUNTED: Mapping[Scale, frozenset[Answer]] = {
    Scale.SATISFACTION: frozenset({Answer.VERY_SATISFIED, Answer.FAIRLY_SATISFIED}),
    Scale.AGREEMENT: frozenset({Answer.STRONGLY_AGREE, Answer.AGREE}),
    Scale.YES_NO: frozenset({Answer.YES}),
}

# The button labels (msgids). docs/regulation-tsm.md §9 item 1: the labels are the scale labels.
LABELS: Mapping[Answer, str] = {
    Answer.VERY_SATISFIED: N_("Very satisfied"),
    Answer.FAIRLY_SATISFIED: N_("Fairly satisfied"),
    Answer.NEITHER: N_("Neither satisfied nor dissatisfied"),
    Answer.FAIRLY_DISSATISFIED: N_("Fairly dissatisfied"),
    Answer.VERY_DISSATISFIED: N_("Very dissatisfied"),
    # TODO(verify): the agreement labels (docs/regulation-tsm.md §2, NOT FOUND).
    Answer.STRONGLY_AGREE: N_("Strongly agree"),
    Answer.AGREE: N_("Agree"),
    Answer.NEITHER_AGREE: N_("Neither agree nor disagree"),
    Answer.DISAGREE: N_("Disagree"),
    Answer.STRONGLY_DISAGREE: N_("Strongly disagree"),
    Answer.YES: N_("Yes"),
    Answer.NO: N_("No"),
    # TODO(verify): the label; the G export has "not applicable/ don’t know" (§2).
    Answer.NOT_APPLICABLE: N_("Not applicable / don't know"),
    # Never a button; for figures and exports only.
    Answer.NO_ANSWER: N_("No answer"),
}

_TABLE2 = "Tenant Satisfaction Measures: Tenant survey requirements, Table 2 (NOT FOUND)"
_A = "Acuity (COPY) https://www.arap.co.uk/performanceindicator/"
_W = (
    "Wandle HA (COPY) https://wandleha.foleon.com/residents-annual-reports/"
    "wandle-residents-annual-report-2023-24/tenant-satisfaction-measures"
)
_G = "Ash-Shahada HA survey export (SECONDARY, code index ids 42649524318, 43308575873)"


def _source(*copies: str) -> str:
    return f"{_TABLE2}; wording per docs/regulation-tsm.md §1 from {'; '.join(copies)}"


# In the order asked: TP01 first, then TP02 to TP12 in numeric order, each filter just before
# the questions it gates (docs/regulation-tsm.md §9 items 5 and 6; §3 "Order", SECONDARY).
# Possessives are written "{landlord}’s" (§9 item 1).
QUESTIONS: tuple[Question, ...] = (
    Question(
        "TP01",
        N_(
            "Taking everything into account, how satisfied or dissatisfied are you "
            "with the service provided by {landlord}?"
        ),
        Scale.SATISFACTION,
        False,  # must not be offered (§2, Acuity COPY)
        _source(_A + "overall-satisfaction/", _W, _G),
    ),
    Question(
        "F_REPAIR",
        N_("Has {landlord} carried out a repair to your home in the last 12 months?"),
        Scale.YES_NO,
        False,
        _source(_A + "overall-repairs-service/", _W, _G),
    ),
    Question(
        "TP02",
        N_(
            "How satisfied or dissatisfied are you with the overall repairs service "
            "from {landlord} over the last 12 months?"
        ),
        Scale.SATISFACTION,
        False,  # not offered (§2, Concept Housing and Gentoo, SECONDARY)
        _source(_A + "overall-repairs-service/", _W, _G),
    ),
    Question(
        "TP03",
        N_(
            "How satisfied or dissatisfied are you with the time taken to complete "
            "your most recent repair after you reported it?"
        ),
        Scale.SATISFACTION,
        False,  # not offered (§2, SECONDARY)
        _source(_A + "time-taken-for-repairs/", _G),
    ),
    Question(
        "TP04",
        N_(
            "How satisfied or dissatisfied are you that {landlord} provides a home "
            "that is well maintained?"
        ),
        Scale.SATISFACTION,
        False,  # must not be offered (§2, Acuity COPY)
        _source(_A + "well-maintained-home/", _G),
    ),
    Question(
        "TP05",
        N_(
            "Thinking about the condition of the property or building you live in, "
            "how satisfied or dissatisfied are you that {landlord} provides a home "
            "that is safe?"
        ),
        Scale.SATISFACTION,
        False,  # TODO(verify): NOT FOUND (§2); off until checked (§9 item 3)
        _source(_G),
    ),
    Question(
        "TP06",
        N_(
            "How satisfied or dissatisfied are you that {landlord} listens to your "
            "views and acts upon them?"
        ),
        Scale.SATISFACTION,
        False,  # TODO(verify): NOT FOUND (§2); off until checked (§9 item 3)
        _source(_G),
    ),
    Question(
        "TP07",
        N_(
            "How satisfied or dissatisfied are you that {landlord} keeps you informed "
            "about things that matter to you?"
        ),
        Scale.SATISFACTION,
        False,  # TODO(verify): NOT FOUND (§2); off until checked (§9 item 3)
        _source(_G),
    ),
    Question(
        "TP08",
        N_(
            "To what extent do you agree or disagree with the following "
            "“{landlord} treats me fairly and with respect”?"
        ),
        Scale.AGREEMENT,
        False,  # TODO(verify): NOT FOUND (§2); off until checked (§9 item 3)
        _source(_G),
    ),
    Question(
        "F_COMPLAINT",
        N_("Have you made a complaint to {landlord} in the last 12 months?"),
        Scale.YES_NO,
        False,
        _source(_G),
    ),
    Question(
        "TP09",
        N_(
            "How satisfied or dissatisfied are you with {landlord}’s approach to "
            "complaints handling?"
        ),
        Scale.SATISFACTION,
        False,  # not offered (§2, SECONDARY)
        _source(_G),
    ),
    Question(
        "F_COMMUNAL",
        # The export has no closing "?"; §1 says to keep the regulator's punctuation, not the
        # export's. TODO(verify): the question mark against Table 2.
        N_(
            "Do you live in a building with communal areas, either inside or outside, "
            "that {landlord} is responsible for maintaining?"
        ),
        Scale.YES_NO,
        False,
        _source(_G),
    ),
    Question(
        "TP10",
        N_(
            "How satisfied or dissatisfied are you that {landlord} keeps these "
            "communal areas clean and well maintained?"
        ),
        Scale.SATISFACTION,
        False,  # not offered (§2, SECONDARY)
        _source(_G),
    ),
    Question(
        "TP11",
        N_(
            "How satisfied or dissatisfied are you that {landlord} makes a positive "
            "contribution to your neighbourhood?"
        ),
        Scale.SATISFACTION,
        False,  # TODO(verify): NOT FOUND (§2); off until checked (§9 item 3)
        _source(_G),
    ),
    Question(
        "TP12",
        N_(
            "How satisfied or dissatisfied are you with {landlord}’s approach to "
            "handling anti-social behaviour?"
        ),
        Scale.SATISFACTION,
        False,  # TODO(verify): NOT FOUND (§2); off until checked (§9 item 3)
        _source(_G),
    ),
)

MEASURES: tuple[str, ...] = tuple(f"TP{number:02d}" for number in range(1, 13))

# Which filter question gates which measures: asked only after a "yes" (docs/regulation-tsm.md
# §3 "Filters" and §9 item 5; COPY for TP02/TP03, SECONDARY for TP09 and TP10).
GATES: Mapping[str, str] = {
    "TP02": "F_REPAIR",
    "TP03": "F_REPAIR",
    "TP09": "F_COMPLAINT",
    "TP10": "F_COMMUNAL",
}

# The measures asked of shared owners (LCHO): landlord practice, not the regulator's text
# (docs/regulation-tsm.md §4 and §9 item 9). TODO(verify): Technical requirements §4.
LCHO_MEASURES: tuple[str, ...] = ("TP01", *MEASURES[4:])

# The measures' names as landlords publish them (docs/regulation-tsm.md §1, column 2: COPY
# and SECONDARY; TODO(verify) against the regulator's Table 2).
MEASURE_NAMES = {
    "TP01": N_("Overall satisfaction"),
    "TP02": N_("Satisfaction with repairs"),
    "TP03": N_("Satisfaction with time taken to complete most recent repair"),
    "TP04": N_("Satisfaction that the home is well-maintained"),
    "TP05": N_("Satisfaction that the home is safe"),
    "TP06": N_("Satisfaction that the landlord listens to tenant views and acts upon them"),
    "TP07": N_(
        "Satisfaction that the landlord keeps tenants informed about things that matter to them"
    ),
    "TP08": N_("Agreement that the landlord treats tenants fairly and with respect"),
    "TP09": N_("Satisfaction with the landlord's approach to handling of complaints"),
    "TP10": N_("Satisfaction that the landlord keeps communal areas clean and well maintained"),
    "TP11": N_("Satisfaction that the landlord makes a positive contribution to neighbourhoods"),
    "TP12": N_("Satisfaction with the landlord's approach to handling anti-social behaviour"),
}

BY_CODE: Mapping[str, Question] = {question.code: question for question in QUESTIONS}


def question(code: str) -> Question:
    """The question with this code (ValueError for an unknown code)."""
    try:
        return BY_CODE[code]
    except KeyError:
        raise ValueError(f"no survey question {code!r}") from None


def options(question: Question) -> tuple[Answer, ...]:
    """The buttons of a question, in order: its scale, then "not applicable" when allowed.
    "No answer" is never a button."""
    scale = SCALE_OPTIONS[question.scale]
    return (*scale, Answer.NOT_APPLICABLE) if question.not_applicable else scale


def accepts(question: Question, answer: Answer) -> bool:
    """Whether ``answer`` may be recorded for ``question``: one of its buttons, or an
    unprompted "no answer"."""
    return answer is Answer.NO_ANSWER or answer in options(question)


def applies(code: str, answers: Mapping[str, Answer]) -> bool:
    """Whether the question is put to this respondent given their filter answers: a gated
    question only after a "yes" to its filter (a "no", a "no answer" or no filter answer yet
    leaves it out)."""
    gate = GATES.get(code)
    return gate is None or answers.get(gate) is Answer.YES


def next_question(
    answers: Mapping[str, Answer], *, measures: Collection[str] = MEASURES
) -> Question | None:
    """The next question to ask after ``answers`` (by code), or None when the survey is
    complete. Questions already answered are skipped, and so are those a filter answer
    leaves out. ``measures`` limits the survey to some measures (e.g. ``LCHO_MEASURES``);
    a filter is asked only when a measure it gates is in it."""
    wanted = set(measures) | {GATES[code] for code in measures if code in GATES}
    for candidate in QUESTIONS:
        if candidate.code in answers or candidate.code not in wanted:
            continue
        if applies(candidate.code, answers):
            return candidate
    return None


def satisfied(code: str, answer: Answer) -> bool | None:
    """Whether an answer to a measure counts as satisfied (very or fairly satisfied; for TP08
    strongly agree or agree), or None when it is outside the measure's base ("not applicable",
    "no answer"). Being filtered out is decided by ``applies``. ValueError for a code that is
    not a measure, or an answer that is not on the measure's scale."""
    if code not in MEASURES:
        raise ValueError(f"{code!r} is not a measure")
    if answer in (Answer.NOT_APPLICABLE, Answer.NO_ANSWER):
        return None
    scale = BY_CODE[code].scale
    if answer not in SCALE_OPTIONS[scale]:
        raise ValueError(f"{answer.value!r} is not an answer to {code}")
    return answer in _COUNTED[scale]


def wording(question: Question, gettext: Gettext, landlord: str) -> str:
    """The question as a resident reads it: translated, with the landlord's name in."""
    return gettext(question.text).format(landlord=landlord)
