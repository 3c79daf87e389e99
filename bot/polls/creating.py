"""Creating a poll on the dashboard and sending it to the residents asked.

A poll is a question with 2 to 10 answers, one choice or several, put to the residents of
some neighbourhoods (none: all) who follow some topics (none: any), the same audience as
an announcement's (``bot.broadcasts.audiences``), closing at a time in the future.
"Send" writes one routine, bulk outbox row per resident asked (held by quiet hours).

Who may see and act on a poll is ``bot.scope``'s rule applied to the poll's audience, as
for events: a poll is seen by those covering one of its neighbourhoods (an
association-wide one by everyone with any scope), and sent, or its results announced, only
by those covering every neighbourhood it asks (association-wide: the whole association), so
nobody asks, or tells, residents outside the neighbourhoods they work in.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.audit import record_action
from bot.broadcasts.audiences import recipients_where
from bot.config import Settings
from bot.delivery.outbox import Priority, QuietHours, Urgency, enqueue
from bot.delivery.outbox import payload as outbox_payload
from bot.errors import DomainError, InvalidInput
from bot.i18n import gettext_for
from bot.models import Poll, PollOption, Resident
from bot.models.poll import DRAFT, MAX_OPTIONS, MIN_OPTIONS, SENT
from bot.polls.voting import audience_of, options_of, poll_buttons, poll_text
from bot.scope import Scope

log = logging.getLogger(__name__)

QUESTION_MAX = 300
OPTION_MAX = 100
POLL_KIND = "poll"


def may_see_poll(scope: Scope, poll: Poll) -> bool:
    """Seen by those covering one of its neighbourhoods; an association-wide poll by
    everyone with any scope (as ``bot.scope.may_see_event``)."""
    if scope is None:
        return True
    if not scope:
        return False
    asked = set(poll.neighbourhood_ids or ())
    return not asked or bool(asked & scope)


def may_act_on_poll(scope: Scope, poll: Poll) -> bool:
    """Sent or announced by those covering every neighbourhood it asks (an
    association-wide poll: only by those who see the whole association)."""
    if scope is None:
        return True
    asked = set(poll.neighbourhood_ids or ())
    return bool(asked) and asked <= scope


async def create(
    session: AsyncSession,
    *,
    question: str,
    options: Sequence[str],
    several: bool,
    neighbourhood_ids: Sequence[int],
    topic_ids: Sequence[int] = (),
    closes_at: datetime,
    created_by: str,
    now: datetime,
) -> Poll:
    """A draft poll; refused (InvalidInput) with a reason a person can act on."""
    question = question.strip()
    labels = [o.strip() for o in options if o.strip()]
    if not question:
        raise InvalidInput("Type the question.")
    if len(question) > QUESTION_MAX:
        raise InvalidInput(
            "The question is too long: at most {limit} characters.", limit=QUESTION_MAX
        )
    if not MIN_OPTIONS <= len(labels) <= MAX_OPTIONS:
        raise InvalidInput(
            "A poll needs from {low} to {high} answers.", low=MIN_OPTIONS, high=MAX_OPTIONS
        )
    if any(len(label) > OPTION_MAX for label in labels):
        raise InvalidInput("An answer is too long: at most {limit} characters.", limit=OPTION_MAX)
    if len({label.casefold() for label in labels}) != len(labels):
        raise InvalidInput("Two answers are the same.")
    if closes_at.tzinfo is None or closes_at <= now:
        raise InvalidInput("The closing time must be in the future.")
    poll = Poll(
        question=question,
        several=several,
        neighbourhood_ids=sorted({int(i) for i in neighbourhood_ids}),
        topic_ids=sorted({int(i) for i in topic_ids}),
        closes_at=closes_at,
        status=DRAFT,
        created_by=created_by,
        created_at=now,
        asked=0,
    )
    session.add(poll)
    await session.flush()
    for position, label in enumerate(labels, start=1):
        session.add(PollOption(poll_id=poll.id, position=position, label=label))
    await session.flush()
    record_action(session, created_by, "poll.created", "poll", poll.id, now=now)
    return poll


async def send(
    session: AsyncSession, poll: Poll, *, actor: str, settings: Settings, now: datetime
) -> int:
    """Send a draft poll to everyone asked, through the outbox; returns how many."""
    if poll.status != DRAFT:
        raise DomainError("This poll has been sent already.")
    if poll.closes_at <= now:
        raise DomainError("The closing time has passed: make a new poll.")
    options = await options_of(session, poll.id)
    quiet = QuietHours.of(settings)
    residents = await session.scalars(
        select(Resident).where(*recipients_where(audience_of(poll))).order_by(Resident.id)
    )
    asked = 0
    for resident in residents:
        assert resident.chat_id is not None
        _ = gettext_for(resident.language)
        text = poll_text(_, poll, options, settings.tz, resident.language)
        await enqueue(
            session,
            kind=POLL_KIND,
            chat_id=resident.chat_id,
            body=outbox_payload(text, buttons=poll_buttons(_, poll, options, ticked=0)),
            quiet_hours=quiet,
            urgency=Urgency.ROUTINE,
            priority=Priority.BULK,
            resident_id=resident.id,
            now=now,
        )
        asked += 1
    poll.status = SENT
    poll.sent_at = now
    poll.asked = asked
    await session.flush()
    record_action(session, actor, "poll.sent", "poll", poll.id, {"asked": asked}, now=now)
    log.info("poll poll_id=%s sent to %s residents", poll.id, asked)
    return asked
