"""The names of the TSM survey conversation's step and of its buttons.

The values are stored: the step in each chat's conversation row (a resident half-way
through the survey carries on after a restart), and the button codes in the callback data
of messages already sent (the invitation's buttons stay in residents' chats all year). So
a value never changes; a new step or button gets a new one.
"""

from __future__ import annotations

from enum import StrEnum

SURVEY_FLOW = "survey"


class SurveyStep(StrEnum):
    """The one step of the survey: a question is on screen, waiting for its answer."""

    QUESTION = "survey.question"


class SurveyPress(StrEnum):
    """The survey's buttons.

    START, DECLINE and INFO are under the invitation and its reminders (revision 0: they
    work at any step), ``0:svs:<invitation id>``; each checks the resident's invitation
    afresh. ANSWER and STOP are under a question (bound to the step's revision, so a
    question answered already is "out of date"): ``<rev>:sva:<question code>:<answer>``
    and ``<rev>:svx``.
    """

    START = "svs"
    DECLINE = "svd"
    INFO = "svi"
    ANSWER = "sva"
    STOP = "svx"
