""" "Me too" on shared problems: communal reports neighbours back instead of reporting again.

**What is communal.** A report is communal only when all of this holds, read from its
own data: its category is one where the resident was asked where the problem is
(``bot.feedback.draft.AREA_CATEGORIES``: repairs, and neighbourhood and estate); they
answered with a shared area (``draft.SHARED_AREAS``: the lift, stairs and corridors,
bins, lighting, door entry, the grounds, elsewhere in the neighbourhood), stored as
``Feedback.shared_area``; and it is not a complaint nor a damp and mould case.
Everything else is private and never shown to anyone but staff: anything inside a home
(the answer "Inside my home" stores None, and so does every report made before the
question existed, so the default is private), complaints (about the service the
resident got), anti-social behaviour (about people), damp and mould and other hazards
inside homes, suggestions, compliments and "other". The question is asked in Telegram
with the description (``bot.feedback.telegram``): the draft had no notion of where a
problem is before.

**What a neighbour sees.** Only what cannot point to the reporter (``ShownReport``):
the reference, where (the shared area's label), the category, the day it was reported,
its status, and how many residents it affects. Never the reporter's name, nor any of
their words: even a first line ("Lift broken again outside flat 12, Mrs Jones") can name
them or their home, and a trimmed first line cannot be made safe by cutting it. The
shared area is chosen from buttons, so it is the reporter's answer without their words.

**Backers.** A resident in the same neighbourhood who presses "This is mine too" backs
the report (``FeedbackBacker``, one per report and resident, however many presses race).
Backers hear its public updates: status changes and staff updates meant for everyone
affected (``add_public_update``), never a private reply to the reporter. A withdrawn
backing is deleted (the model says why). Staff who cover the neighbourhood see who is
affected (``backers_for_staff``); the count is on the report's page and in the inbox.
Merging a duplicate into a kept report is ``bot.feedback.merging``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.audit import record_action, staff_actor
from bot.delivery.outbox import Button, Priority, Urgency, anywhere_data, enqueue, payload
from bot.errors import InvalidInput, StaleAction
from bot.feedback.draft import AREA_CATEGORIES, SHARED_AREAS
from bot.feedback.notify import StaffNotices, contactable_resident, split_to_fit
from bot.feedback.reports import get_report
from bot.feedback.statuses import FINISHED_STATUSES, STATUS_WORDS
from bot.feedback.steps import FeedbackButton
from bot.feedback.thread import REPLY_MAX_LENGTH, queue_reply
from bot.i18n import N_, Gettext, gettext_for
from bot.models import Feedback, FeedbackBacker, FeedbackMessage, Resident, StaffMember
from bot.models.base import utcnow
from bot.scope import Scope, may_see_resident
from bot.text import require_text

# How many open reports of the same kind a resident is shown before writing a new one.
SHOWN_AT_MOST = 5
# The outbox kind of a message to a backer (apart from the reporter's, which the report
# page pairs with the thread: ``bot.feedback.thread.reply_deliveries``).
BACKER_KIND = "backer_update"
STOP_BUTTON = N_("Stop updates")


def is_communal(report: Feedback) -> bool:
    """Whether neighbours may see the report and back it (see the module's note)."""
    return (
        report.category in AREA_CATEGORIES
        and report.shared_area in SHARED_AREAS
        and not report.is_complaint
        and report.hazard_kind != "damp_mould"
    )


def communal() -> ColumnElement[bool]:
    """``is_communal`` in SQL."""
    return and_(
        Feedback.category.in_(sorted(AREA_CATEGORIES)),
        Feedback.shared_area.in_(list(SHARED_AREAS)),
        Feedback.is_complaint.is_(False),
        Feedback.hazard_kind.is_distinct_from("damp_mould"),
    )


def is_open(report: Feedback) -> bool:
    """Open to backing and merging into: not yet resolved or closed."""
    return report.status not in FINISHED_STATUSES


@dataclass(frozen=True)
class ShownReport:
    """A communal report as a neighbour sees it: nothing that points to its reporter."""

    id: int
    reference: str
    category: str
    shared_area: str
    received_at: datetime
    status: str
    affected: int  # the reporter and the backers


async def similar_open_reports(
    session: AsyncSession,
    resident: Resident,
    category: str,
    shared_area: str | None,
    limit: int = SHOWN_AT_MOST,
) -> list[ShownReport]:
    """Open communal reports of the same kind (category and shared area) in the
    resident's neighbourhood, newest first: not their own, nor one they back already."""
    if shared_area is None or resident.neighbourhood_id is None:
        return []
    if category not in AREA_CATEGORIES:
        return []
    backed = select(FeedbackBacker.feedback_id).where(FeedbackBacker.resident_id == resident.id)
    reports = (
        await session.scalars(
            select(Feedback)
            .where(
                communal(),
                Feedback.category == category,
                Feedback.shared_area == shared_area,
                Feedback.neighbourhood_id == resident.neighbourhood_id,
                Feedback.status.not_in(sorted(FINISHED_STATUSES)),
                Feedback.resident_id.is_distinct_from(resident.id),
                Feedback.id.not_in(backed),
            )
            .order_by(Feedback.received_at.desc(), Feedback.id.desc())
            .limit(limit)
        )
    ).all()
    counts = await backer_counts(session, [r.id for r in reports])
    return [
        ShownReport(
            id=r.id,
            reference=r.reference,
            category=r.category,
            shared_area=r.shared_area or "",
            received_at=r.received_at,
            status=r.status,
            affected=counts.get(r.id, 0) + (1 if r.resident_id is not None else 0),
        )
        for r in reports
    ]


async def back_report(
    session: AsyncSession,
    resident: Resident,
    feedback_id: int,
    *,
    how: str = "me_too",
    now: datetime | None = None,
) -> tuple[Feedback, bool]:
    """The resident says the report is theirs too; returns it, and whether this is new.

    Only an open communal report in their own neighbourhood that is not their own (else
    StaleAction, as a forged button is answered; a closed one InvalidInput). Pressed
    twice, or twice at once, it is one backing: the insert skips a row already there.
    """
    report = await session.get(Feedback, feedback_id)
    if (
        report is None
        or not is_communal(report)
        or report.neighbourhood_id is None
        or report.neighbourhood_id != resident.neighbourhood_id
        or report.resident_id == resident.id
    ):
        raise StaleAction("That button no longer works.")
    if not is_open(report):
        raise InvalidInput(
            "{reference} is no longer open. If the problem is still there, please send a new "
            "report.",
            reference=report.reference,
        )
    return report, await add_backer(session, report.id, resident.id, how=how, now=now)


async def add_backer(
    session: AsyncSession,
    feedback_id: int,
    resident_id: int,
    *,
    how: str = "me_too",
    now: datetime | None = None,
) -> bool:
    """Insert the backing unless it is there already (safe under concurrency); True if new."""
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = (
        insert(FeedbackBacker)
        .values(feedback_id=feedback_id, resident_id=resident_id, how=how, since=now or utcnow())
        .on_conflict_do_nothing(index_elements=["feedback_id", "resident_id"])
        .returning(FeedbackBacker.id)
    )
    return (await session.execute(statement)).scalar_one_or_none() is not None


async def withdraw_backing(session: AsyncSession, resident: Resident, feedback_id: int) -> Feedback:
    """The resident no longer wants updates about a report they backed: the backing is
    deleted. Pressed again, nothing more happens; a report that is gone: StaleAction."""
    report = await session.get(Feedback, feedback_id)
    if report is None:
        raise StaleAction("That button no longer works.")
    await session.execute(
        delete(FeedbackBacker).where(
            FeedbackBacker.feedback_id == feedback_id, FeedbackBacker.resident_id == resident.id
        )
    )
    return report


async def backings_of(
    session: AsyncSession, resident: Resident
) -> Sequence[tuple[FeedbackBacker, Feedback]]:
    """The reports the resident backs, newest backing first."""
    rows = await session.execute(
        select(FeedbackBacker, Feedback)
        .join(Feedback, Feedback.id == FeedbackBacker.feedback_id)
        .where(FeedbackBacker.resident_id == resident.id)
        .order_by(FeedbackBacker.since.desc(), FeedbackBacker.id.desc())
    )
    return [(backer, report) for backer, report in rows]


async def backer_counts(session: AsyncSession, feedback_ids: Collection[int]) -> dict[int, int]:
    """How many residents back each report (reports nobody backs are left out)."""
    if not feedback_ids:
        return {}
    rows = await session.execute(
        select(FeedbackBacker.feedback_id, func.count())
        .where(FeedbackBacker.feedback_id.in_(sorted(feedback_ids)))
        .group_by(FeedbackBacker.feedback_id)
    )
    return {feedback_id: int(count) for feedback_id, count in rows}


@dataclass(frozen=True)
class BackersForStaff:
    """Who backs a report, as a member of staff may see them: the residents in their
    scope (``bot.scope.may_see_resident``), and how many others they may not see."""

    shown: list[tuple[Resident, FeedbackBacker]]
    hidden: int

    @property
    def count(self) -> int:
        return len(self.shown) + self.hidden


async def backers_for_staff(
    session: AsyncSession, feedback_id: int, scope: Scope
) -> BackersForStaff:
    """The report's backers, oldest first: the residents ``scope`` may see (to contact
    them), the rest only counted. An erased resident is never listed (their row went)."""
    rows = await session.execute(
        select(FeedbackBacker, Resident)
        .join(Resident, Resident.id == FeedbackBacker.resident_id)
        .where(FeedbackBacker.feedback_id == feedback_id)
        .order_by(FeedbackBacker.since, FeedbackBacker.id)
    )
    shown: list[tuple[Resident, FeedbackBacker]] = []
    hidden = 0
    for backer, resident in rows:
        if resident.forgotten_at is None and may_see_resident(scope, resident):
            shown.append((resident, backer))
        else:
            hidden += 1
    return BackersForStaff(shown, hidden)


# ----- telling backers ----------------------------------------------------------------------


async def _contactable_backers(session: AsyncSession, feedback_id: int) -> Sequence[Resident]:
    return (
        await session.scalars(
            select(Resident)
            .join(FeedbackBacker, FeedbackBacker.resident_id == Resident.id)
            .where(
                FeedbackBacker.feedback_id == feedback_id,
                Resident.forgotten_at.is_(None),
                Resident.chat_id.is_not(None),
            )
            .order_by(FeedbackBacker.id)
        )
    ).all()


async def tell_backers(
    session: AsyncSession,
    report: Feedback,
    lines_for: Callable[[Gettext], list[str]],
    notices: StaffNotices,
    now: datetime,
) -> int:
    """Queue a message about ``report`` for each of its backers who can be reached, in
    their language (``lines_for(_)``: its paragraphs), with a "Stop updates" button;
    returns how many backers were told.

    Routine (held through quiet hours): a backer is kept informed, while the case's
    urgent messages go to its reporter.
    """
    told = 0
    for backer in await _contactable_backers(session, report.id):
        _ = gettext_for(backer.language)
        stop = Button(_(STOP_BUTTON), anywhere_data(FeedbackButton.WITHDRAW, report.id))
        parts = split_to_fit("\n\n".join(lines_for(_)))
        for number, part in enumerate(parts, start=1):
            await enqueue(
                session,
                kind=BACKER_KIND,
                chat_id=backer.chat_id or 0,
                body=payload(part, buttons=[[stop]] if number == len(parts) else ()),
                quiet_hours=notices.quiet_hours,
                urgency=Urgency.ROUTINE,
                priority=Priority.NOTIFICATION,
                resident_id=backer.id,
                feedback_id=report.id,
                now=now,
            )
        told += 1
    return told


def _about(_: Gettext, report: Feedback) -> str:
    """The report's first line for a backer: its reference and where."""
    area = SHARED_AREAS.get(report.shared_area or "")
    return _("Update on {reference} ({area}), which you said affects you too:").format(
        reference=report.reference, area=_(area) if area else ""
    )


async def tell_backers_of_status(
    session: AsyncSession, report: Feedback, notices: StaffNotices, now: datetime
) -> int:
    """A communal report's new status, for its backers (``bot.feedback.lifecycle.move``).

    A resolved report tells them that a problem still there for them needs a new report:
    reopening is its reporter's (``lifecycle.may_reopen``).
    """
    if not is_communal(report):
        return 0

    def lines(_: Gettext) -> list[str]:
        words = [f"{_about(_, report)} {_(STATUS_WORDS.get(report.status, report.status))}"]
        if report.status == "resolved":
            words.append(
                _("If it is not sorted for you, please send a new report under Give feedback.")
            )
        return words

    return await tell_backers(session, report, lines, notices, now)


PUBLIC_ONLY_COMMUNAL = N_(
    "{reference} is not a communal report, so nobody else is affected by it: use Reply to "
    "write to its resident."
)


@dataclass(frozen=True)
class PublicUpdate:
    """A staff update kept in the thread and sent to everyone affected."""

    message: FeedbackMessage
    reporter_told: bool
    backers_told: int


async def add_public_update(
    session: AsyncSession,
    feedback_id: int,
    staff: StaffMember,
    text: str | None,
    notices: StaffNotices,
    now: datetime | None = None,
    *,
    send_now: bool = False,
) -> PublicUpdate:
    """A staff update on a communal report for everyone affected: kept in the thread
    (marked public), sent to its reporter as a reply is (with Reply) and to each backer
    (with "Stop updates"), audited as feedback.public_update.

    Only communal reports (InvalidInput PUBLIC_ONLY_COMMUNAL): anything else has one
    resident, and a private reply must never reach neighbours.
    """
    moment = now or utcnow()
    body = require_text(text, REPLY_MAX_LENGTH)
    report = await get_report(session, feedback_id)
    if not is_communal(report):
        raise InvalidInput(PUBLIC_ONLY_COMMUNAL, reference=report.reference)
    message = FeedbackMessage(
        feedback_id=report.id,
        author="staff",
        staff_id=staff.id,
        body=body,
        created_at=moment,
        public=True,
    )
    session.add(message)
    await session.flush()
    reporter = await contactable_resident(session, report)
    if reporter is not None:
        await queue_reply(session, report, reporter, body, notices, moment, send_now=send_now)
    told = await tell_backers(session, report, lambda _: [_about(_, report), body], notices, moment)
    record_action(
        session,
        staff_actor(staff),
        "feedback.public_update",
        "feedback",
        report.id,
        {"reference": report.reference, "message_id": message.id, "backers_told": told},
        now=moment,
    )
    return PublicUpdate(message, reporter is not None, told)
