"""Staff merging a duplicate communal report into the one kept for the problem.

Two neighbours may report the same broken lift before either sees the other's report
(or one chose "No, mine is different"). Staff join them from the duplicate's page: the
duplicate closes as "Closed - already reported" with the history note "Merged into REF",
its reporter and its backers become backers of the kept report (so they hear its public
updates from then on), and its reporter is told in Telegram. Audited as feedback.merged.

Only communal reports merge (``bot.feedback.backing.is_communal``): merging a private
one would show a neighbour's private matter to others through its updates. Both must be
in the same neighbourhood; the kept one must be open; a report never merges into itself.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.audit import record_action, staff_actor
from bot.delivery.outbox import Priority, Urgency, enqueue, payload
from bot.errors import InvalidInput
from bot.feedback.backing import add_backer, is_communal, is_open
from bot.feedback.lifecycle import move
from bot.feedback.notify import StaffNotices, contactable_resident
from bot.feedback.reports import find_report, get_report
from bot.feedback.statuses import allowed_statuses
from bot.i18n import N_, gettext_for
from bot.models import Feedback, FeedbackBacker, StaffMember
from bot.models.base import utcnow
from bot.scope import Scope

MERGED_STATUS = "duplicate"
MERGED_NOTE = "Merged into {reference}"


async def merge_into(
    session: AsyncSession,
    duplicate_id: int,
    kept_reference: str,
    staff: StaffMember,
    notices: StaffNotices,
    *,
    scope: Scope,
    now: datetime | None = None,
) -> Feedback:
    """Merge the duplicate into the report ``kept_reference`` names (within ``scope``:
    one outside it is answered as one that does not exist); returns the kept report.

    Refused with a reason (InvalidInput) for the same report, a private report on either
    side, another neighbourhood, a kept report already resolved or closed, or a duplicate
    that can no longer be closed as one (resolved or closed itself).
    """
    moment = now or utcnow()
    duplicate = await get_report(session, duplicate_id, lock=True, scope=scope)
    kept = await find_report(session, kept_reference, scope=scope)
    _check(duplicate, kept)
    duplicate.merged_into_id = kept.id
    await move(
        session,
        duplicate,
        MERGED_STATUS,
        staff,
        notices,
        moment,
        MERGED_NOTE.format(reference=kept.reference),
        tell=False,
    )
    moved = await _move_backers(session, duplicate, kept, moment)
    told = await _tell_reporter(session, duplicate, kept, notices, moment)
    record_action(
        session,
        staff_actor(staff),
        "feedback.merged",
        "feedback",
        duplicate.id,
        {
            "reference": duplicate.reference,
            "into": kept.reference,
            "backers_moved": moved,
            "told_in_telegram": told,
        },
        now=moment,
    )
    await session.flush()
    return kept


def _check(duplicate: Feedback, kept: Feedback) -> None:
    if kept.id == duplicate.id:
        raise InvalidInput(
            "A report cannot be merged into itself. Give the other report's reference."
        )
    for report in (duplicate, kept):
        if not is_communal(report):
            raise InvalidInput(
                "{reference} is a private report (not about a shared area), so it cannot be "
                "merged: only communal reports can.",
                reference=report.reference,
            )
    if kept.neighbourhood_id != duplicate.neighbourhood_id:
        raise InvalidInput(
            "{reference} is in another neighbourhood: only reports from the same "
            "neighbourhood can be merged.",
            reference=kept.reference,
        )
    if not is_open(kept):
        raise InvalidInput(
            "{reference} is already resolved or closed, so nothing can be merged into it.",
            reference=kept.reference,
        )
    if MERGED_STATUS not in allowed_statuses(duplicate):
        raise InvalidInput(
            "{reference} is already resolved or closed, so it cannot be merged.",
            reference=duplicate.reference,
        )


async def _move_backers(
    session: AsyncSession, duplicate: Feedback, kept: Feedback, now: datetime
) -> int:
    """The duplicate's reporter and backers back the kept report instead (its own reporter
    need not); returns how many now back it through the merge."""
    residents = list(
        await session.scalars(
            select(FeedbackBacker.resident_id).where(FeedbackBacker.feedback_id == duplicate.id)
        )
    )
    if duplicate.resident_id is not None:
        residents.insert(0, duplicate.resident_id)
    added = 0
    for resident_id in residents:
        if resident_id == kept.resident_id:
            continue
        added += await add_backer(session, kept.id, resident_id, how="merged", now=now)
    # The duplicate is closed: its backings moved, none is left to count twice.
    await session.execute(delete(FeedbackBacker).where(FeedbackBacker.feedback_id == duplicate.id))
    return added


MERGED_WORDS = N_(
    "Your report {duplicate} is about the same problem as {kept}, so we have joined them: "
    "{duplicate} is now closed, and you will get the updates about {kept}. You can stop "
    "them under My reports."
)


async def _tell_reporter(
    session: AsyncSession,
    duplicate: Feedback,
    kept: Feedback,
    notices: StaffNotices,
    now: datetime,
) -> bool:
    """Tell the duplicate's reporter, in their language; False when they cannot be reached."""
    resident = await contactable_resident(session, duplicate)
    if resident is None:
        return False
    _ = gettext_for(resident.language)
    await enqueue(
        session,
        kind="status_change",
        chat_id=resident.chat_id or 0,
        body=payload(_(MERGED_WORDS).format(duplicate=duplicate.reference, kept=kept.reference)),
        quiet_hours=notices.quiet_hours,
        urgency=Urgency.ROUTINE,
        priority=Priority.REPLY,
        resident_id=resident.id,
        feedback_id=duplicate.id,
        now=now,
    )
    return True
