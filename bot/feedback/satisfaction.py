"""Satisfaction after every case: once a report is resolved, its resident is asked, once,
how satisfied they are with how it was handled, and may add a comment.

The question goes through the outbox after the resolved notice (``ask_about_handling``,
called by ``bot.feedback.lifecycle.move``), as a routine message: it waits out quiet hours
whatever the report, since nothing about it is urgent. One row per report
(``CaseSatisfaction.feedback_id`` is unique): a report resolved, reopened and resolved
again is not asked about twice. Nobody forgotten, unreachable or inactive is asked.

Every category is asked, complaints included: how a complaint was handled is what the
landlord most needs to hear about (the TSM survey asks about it every year, TP09), and one
rule for every report is one less thing for residents and staff to learn. What a
dissatisfied answer offers differs: a complaint answered at stage 1 offers stage 2 (Code
6.10); any other report offers to reopen it and to make a complaint (Housing Ombudsman
Complaint Handling Code 2024, 1.3: "Whenever a resident expresses dissatisfaction
landlords must give them the choice to make a complaint"; 1.5: dissatisfaction with the
response to a service request is a complaint; docs/regulation-complaints-and-hazards.md
§1.1). Neither is forced: the resident chooses (the shell, ``telegram_satisfaction``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.outbox import Button, Priority, Urgency, anywhere_data, enqueue, payload
from bot.errors import InvalidInput, StaleAction
from bot.feedback.notify import StaffNotices, contactable_resident
from bot.feedback.reports import resident_report
from bot.feedback.steps import FeedbackButton
from bot.i18n import N_, gettext_for
from bot.models import CaseSatisfaction, Delivery, Feedback, Resident
from bot.text import require_text

# The answers, best first: the codes are stored and carried by buttons already sent, so
# they never change. The same five points as the TSM survey's satisfaction scale.
VERY_SATISFIED = "very_satisfied"
FAIRLY_SATISFIED = "fairly_satisfied"
NEITHER = "neither"
FAIRLY_DISSATISFIED = "fairly_dissatisfied"
VERY_DISSATISFIED = "very_dissatisfied"
ANSWER_WORDS = {
    VERY_SATISFIED: N_("Very satisfied"),
    FAIRLY_SATISFIED: N_("Fairly satisfied"),
    NEITHER: N_("Neither satisfied nor dissatisfied"),
    FAIRLY_DISSATISFIED: N_("Fairly dissatisfied"),
    VERY_DISSATISFIED: N_("Very dissatisfied"),
}
SATISFIED = frozenset({VERY_SATISFIED, FAIRLY_SATISFIED})
DISSATISFIED = frozenset({FAIRLY_DISSATISFIED, VERY_DISSATISFIED})
# A comment is a few sentences; longer is refused (with its length), never cut.
COMMENT_MAX_LENGTH = 2000
OUTCOMES = ("reopened", "complaint")

QUESTION = N_(
    "{reference} is resolved. How satisfied are you with how we handled it? Your answer "
    "helps us do better; it is up to you whether you answer."
)


def is_dissatisfied(rating: str | None) -> bool:
    """Fairly or very dissatisfied: the answer that offers reopening or a complaint."""
    return rating in DISSATISFIED


async def ask_about_handling(
    session: AsyncSession, report: Feedback, notices: StaffNotices, now: datetime
) -> CaseSatisfaction | None:
    """Ask the report's resident how satisfied they are with how it was handled: the
    question queued (routine: held in quiet hours) and its row written. None, and nothing
    queued, when they were asked about this report before, or are forgotten, unreachable
    or no longer use the bot. The caller holds the report's row lock (``get_report(...,
    lock=True)``), so two resolutions at once do not both ask; the unique key is the
    backstop."""
    resident = await contactable_resident(session, report)
    if resident is None or not resident.active:
        return None
    asked = await session.scalar(
        select(CaseSatisfaction.id).where(CaseSatisfaction.feedback_id == report.id)
    )
    if asked is not None:
        return None
    row = CaseSatisfaction(feedback_id=report.id, resident_id=resident.id, asked_at=now)
    session.add(row)
    await session.flush()
    _ = gettext_for(resident.language)
    buttons = [
        [Button(_(words), anywhere_data(FeedbackButton.SATISFACTION, report.id, code))]
        for code, words in ANSWER_WORDS.items()
    ]
    await enqueue(
        session,
        kind="satisfaction",
        chat_id=resident.chat_id or 0,
        body=payload(_(QUESTION).format(reference=report.reference), buttons=buttons),
        quiet_hours=notices.quiet_hours,
        urgency=Urgency.ROUTINE,
        priority=Priority.NOTIFICATION,
        resident_id=resident.id,
        feedback_id=report.id,
        now=now,
    )
    return row


async def _asked(
    session: AsyncSession, resident: Resident, feedback_id: int
) -> tuple[Feedback, CaseSatisfaction]:
    """The resident's own report and the question asked about it; StaleAction otherwise
    (someone else's report, or never asked: a forged button)."""
    report = await resident_report(session, resident, feedback_id)
    row = await session.scalar(
        select(CaseSatisfaction).where(CaseSatisfaction.feedback_id == report.id).with_for_update()
    )
    if row is None or row.resident_id != resident.id:
        raise StaleAction("That button no longer works.")
    return report, row


async def answer(
    session: AsyncSession, resident: Resident, feedback_id: int, rating: str, now: datetime
) -> tuple[CaseSatisfaction, bool]:
    """Keep the resident's answer; returns its row and whether this press
    answered it (False: answered already, the first answer stands). An answer code we do
    not know: StaleAction (forged)."""
    if rating not in ANSWER_WORDS:
        raise StaleAction("That button no longer works.")
    _, row = await _asked(session, resident, feedback_id)
    if row.rating is not None:
        return row, False
    row.rating = rating
    row.answered_at = now
    await session.flush()
    return row, True


async def add_comment(
    session: AsyncSession, resident: Resident, feedback_id: int, text: str | None
) -> CaseSatisfaction:
    """Keep the resident's comment on how the report was handled (a second one is added
    below the first). Blank, or over COMMENT_MAX_LENGTH: InvalidInput, nothing kept, so
    the resident can send it again."""
    words = require_text(text, COMMENT_MAX_LENGTH)
    _, row = await _asked(session, resident, feedback_id)
    if row.rating is None:
        raise StaleAction("That button no longer works.")
    combined = f"{row.comment}\n{words}" if row.comment else words
    if len(combined) > COMMENT_MAX_LENGTH:
        raise InvalidInput(
            "That is too long: please keep it under {limit} characters (yours has {length}).",
            limit=COMMENT_MAX_LENGTH,
            length=len(combined),
        )
    row.comment = combined
    await session.flush()
    return row


async def note_outcome(
    session: AsyncSession, resident: Resident, feedback_id: int, outcome: str
) -> CaseSatisfaction:
    """What the resident chose after a dissatisfied answer: "reopened" or "complaint"
    (they chose to make one). The first choice is kept; only after a dissatisfied answer
    (otherwise StaleAction: those buttons were never offered)."""
    assert outcome in OUTCOMES
    _, row = await _asked(session, resident, feedback_id)
    if not is_dissatisfied(row.rating):
        raise StaleAction("That button no longer works.")
    if row.outcome is None:
        row.outcome = outcome
        await session.flush()
    return row


async def satisfaction_of(session: AsyncSession, feedback_id: int) -> CaseSatisfaction | None:
    """The question asked about a report and its answer, if it was asked (for staff)."""
    return await session.scalar(
        select(CaseSatisfaction).where(CaseSatisfaction.feedback_id == feedback_id)
    )


async def queued_question(session: AsyncSession, feedback_id: int) -> Delivery | None:
    """The question's message in the outbox (when it will go, what became of it)."""
    return await session.scalar(
        select(Delivery)
        .where(Delivery.feedback_id == feedback_id, Delivery.kind == "satisfaction")
        .order_by(Delivery.id.desc())
        .limit(1)
    )
