"""A poll's results: the raw counts for staff, the figures that may be published (small
numbers suppressed by the house rule, ``bot.reports.suppression``), announcing them to the
residents asked, and the anonymous CSV (option, votes; no resident appears).

Single choice: each voter chose one answer, so the answers' counts add up to the number
who voted, one group (``suppress``). Several: each answer splits the voters into those who
chose it and those who did not, one group per answer over the same total (``protect``), so
"voted" less "chose A" cannot give back a hidden figure either. (Every voter ticks at least
one answer, so the ticks add up to at least the voters: an inequality the checker of
tests/reports/test_disclosure_shapes.py gives its reader too.)
"""

from __future__ import annotations

import logging
from collections.abc import Hashable
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.audit import record_action
from bot.broadcasts.audiences import recipients_where
from bot.config import Settings
from bot.delivery.outbox import Priority, QuietHours, Urgency, enqueue
from bot.delivery.outbox import payload as outbox_payload
from bot.errors import DomainError
from bot.i18n import Gettext, gettext_for
from bot.models import Poll, PollBallot, PollVote, Resident
from bot.polls.voting import audience_of, options_of
from bot.reports.suppression import Shown, derived, protect, suppress
from bot.tables import open_table

log = logging.getLogger(__name__)

RESULTS_KIND = "poll_results"


@dataclass(frozen=True)
class Line:
    """One answer: its raw count and share (staff only), and as it may be published."""

    label: str
    votes: int
    share: float | None
    shown_votes: Shown
    shown_share: Shown


@dataclass(frozen=True)
class Results:
    """A poll's results."""

    poll: Poll
    lines: list[Line]
    voted: int
    shown_voted: Shown
    asked: int


async def results(session: AsyncSession, poll: Poll) -> Results:
    """Counted from the ballots (one per resident), exact under concurrent voting."""
    options = await options_of(session, poll.id)
    rows = await session.execute(
        select(PollVote.option_id, func.count())
        .where(PollVote.poll_id == poll.id)
        .group_by(PollVote.option_id)
    )
    counts = {int(option_id): int(n) for option_id, n in rows}
    voted = int(
        await session.scalar(
            select(func.count()).select_from(PollBallot).where(PollBallot.poll_id == poll.id)
        )
        or 0
    )
    shown_counts, shown_voted = published_counts(
        poll.several, {o.id: o.label for o in options}, counts, voted
    )
    lines = []
    for option in options:
        votes = counts.get(option.id, 0)
        share = votes / voted if voted else None
        lines.append(
            Line(
                option.label,
                votes,
                share,
                shown_counts[option.id],
                derived(share, voted, shown_counts[option.id], shown_voted),
            )
        )
    return Results(poll, lines, voted, shown_voted, poll.asked)


def published_counts(
    several: bool, labels: dict[int, str], counts: dict[int, int], voted: int
) -> tuple[dict[int, Shown], Shown]:
    """Each answer's votes (by option id, ``labels`` in order) and the voters, as they may
    be published (see the module's note)."""
    if not several:
        breakdown = suppress(labels, {option: counts.get(option, 0) for option in labels})
        return dict(zip(labels, (value for _, value in breakdown.rows), strict=True)), (
            breakdown.total
        )
    figures: dict[Hashable, int] = {"voted": voted}
    groups: list[tuple[Hashable, list[Hashable]]] = []
    for option in labels:
        chose = counts.get(option, 0)
        figures[("chose", option)] = chose
        figures[("not", option)] = voted - chose
        groups.append(("voted", [("chose", option), ("not", option)]))
    shown = protect(figures, groups)
    return {option: shown[("chose", option)] for option in labels}, shown["voted"]


def share_words(value: Shown, _: Gettext) -> str:
    """A published share as a percentage, or the suppression's words translated."""
    return _(value) if isinstance(value, str) else f"{value:.0%}"


def count_words(value: Shown, _: Gettext) -> str:
    return _(value) if isinstance(value, str) else f"{value:,}"


def results_text(_: Gettext, outcome: Results) -> str:
    """The published results as a message to residents."""
    lines = [_("Results of the poll: {question}").format(question=outcome.poll.question)]
    for line in outcome.lines:
        lines.append(
            _("{answer}: {votes} ({share})").format(
                answer=line.label,
                votes=count_words(line.shown_votes, _),
                share=share_words(line.shown_share, _),
            )
        )
    lines.append(
        _("Residents who voted: {voted}. Thank you for taking part.").format(
            voted=count_words(outcome.shown_voted, _)
        )
    )
    return "\n".join(lines)


async def announce(
    session: AsyncSession, poll: Poll, *, actor: str, settings: Settings, now: datetime
) -> int:
    """Send the published results to the poll's audience (routine, bulk), once, after it has
    closed. Returns how many were queued."""
    if now < poll.closes_at:
        raise DomainError("The results can be announced once the poll has closed.")
    if poll.results_announced_at is not None:
        raise DomainError("The results have been announced already.")
    outcome = await results(session, poll)
    quiet = QuietHours.of(settings)
    residents = await session.scalars(
        select(Resident).where(*recipients_where(audience_of(poll))).order_by(Resident.id)
    )
    sent = 0
    for resident in residents:
        assert resident.chat_id is not None
        text = results_text(gettext_for(resident.language), outcome)
        await enqueue(
            session,
            kind=RESULTS_KIND,
            chat_id=resident.chat_id,
            body=outbox_payload(text),
            quiet_hours=quiet,
            urgency=Urgency.ROUTINE,
            priority=Priority.BULK,
            resident_id=resident.id,
            now=now,
        )
        sent += 1
    poll.results_announced_at = now
    await session.flush()
    record_action(
        session, actor, "poll.results_announced", "poll", poll.id, {"sent": sent}, now=now
    )
    log.info("poll poll_id=%s results announced to %s residents", poll.id, sent)
    return sent


def write_csv(outcome: Results, output: BinaryIO) -> None:
    """The anonymous results, as published (small numbers suppressed): option, votes."""
    table = open_table(output, "csv", [("option", 40), ("votes", 12)], "Poll")
    for line in outcome.lines:
        table.write_row([line.label, line.shown_votes])
    table.write_row(["residents who voted", outcome.shown_voted])
    table.finish()
