"""Telling residents about an idea through the outbox: the proposer when staff check it,
and the proposer and every backer when staff answer it. Routine messages at notification
priority, held by quiet hours; each in the resident's own language."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.delivery.outbox import Priority, QuietHours, Urgency, enqueue
from bot.delivery.outbox import payload as outbox_payload
from bot.i18n import Gettext, gettext_for
from bot.models import Resident

IDEA_KIND = "idea"


def reachable(resident: Resident | None) -> bool:
    """Someone we can still write to: not erased, not blocked, with a chat."""
    return (
        resident is not None
        and resident.forgotten_at is None
        and resident.active
        and resident.chat_id is not None
    )


async def tell(
    session: AsyncSession,
    residents: Iterable[Resident],
    words: Callable[[Gettext], str],
    *,
    settings: Settings,
    now: datetime,
) -> int:
    """Queue ``words`` (made in each resident's language) for every reachable resident;
    returns how many were queued."""
    quiet = QuietHours.of(settings)
    told = 0
    for resident in residents:
        if not reachable(resident):
            continue
        assert resident.chat_id is not None
        await enqueue(
            session,
            kind=IDEA_KIND,
            chat_id=resident.chat_id,
            body=outbox_payload(words(gettext_for(resident.language))),
            quiet_hours=quiet,
            urgency=Urgency.ROUTINE,
            priority=Priority.NOTIFICATION,
            resident_id=resident.id,
            now=now,
        )
        told += 1
    return told
