"""The Complaint Handling Code's CH01 and CH02, per stage.

- CH01: stage 1 complaints received in the period and complaints escalated to stage 2 in
  the period, per 1,000 homes (the number of homes comes from the settings). Only those
  that remain complaints: one closed as not a complaint after all (a service request,
  Code 1.4-1.5), as a duplicate of another, or withdrawn is counted in neither CH01 nor
  CH02 and is listed apart (``not_counted``), as issue 12 asks (the TSM technical
  requirements' own wording on this could not be read yet:
  docs/regulation-complaints-and-hazards.md, section 2).
- CH02: complaints answered at a stage in the period, and the share answered by the
  stage's due date (London date). An answer is the first move to resolved, closed or "no
  further action" at that stage (withdrawn, duplicate and "not a complaint" are not
  answers and are left out). Stage 2 begins at the escalation. The due date is the
  report's ``response_due_on`` (an extension moves it); for a complaint escalated since,
  whose stored due date is now stage 2's, stage 1's is the one kept at the escalation
  (``stage1_response_due_on``, extension included), or, for complaints escalated before
  that was kept, worked out again from receipt and acknowledgement with the same clocks.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.feedback import clocks
from bot.i18n import N_
from bot.models import Feedback, FeedbackExtension, FeedbackStatusChange
from bot.reports.spans import is_postgresql
from bot.reports.suppression import Shown, derived, shown, suppress
from bot.reports.timing import aware, aware_or_none, plain

# The report's words here are English (the CSV keeps them); the page translates them.
SET_HOMES = N_("set the number of homes")
ANSWERS = ("resolved", "closed", "no_further_action")
TIMELINESS = {"in_time": N_("In time"), "late": N_("Late")}
# Complaints that, as things stand, are not counted as complaints (see above).
NOT_COUNTED = {
    "not_a_complaint": N_("Not a complaint (a service request)"),
    "duplicate": N_("Duplicate"),
    "withdrawn": N_("Withdrawn"),
}


@dataclass(frozen=True)
class StageFigures:
    """CH01 and CH02 for one stage of the Complaint Handling Code."""

    stage: int
    received: Shown
    per_thousand_homes: Shown  # a figure, withheld (FEW_CASES), or "set the number of homes"
    answered: Shown
    answered_in_time: Shown
    answered_late: Shown
    share_in_time: Shown  # a percentage, NO_CASES, or withheld (FEW_CASES)
    # Received (stage 2: escalated) in the period but not counted, by why (NOT_COUNTED).
    not_counted: list[tuple[str, Shown]]
    # Extensions agreed in the period at this stage, and of those the ones longer than the
    # standard length, with a recorded good reason (Code 6.4; bot.feedback.extensions).
    extended: Shown = 0
    extended_beyond_standard: Shown = 0


def _per_thousand(count: int, homes: int | None) -> Shown:
    """CH01: withheld over 1 to 4 complaints (with the number of homes, it gives them back)."""
    if homes is None:
        return SET_HOMES
    return derived(round(count * 1000 / homes, 2), count)


def stage_figures(
    stage: int,
    received: int,
    homes: int | None,
    answered: int,
    in_time: int,
    not_counted: dict[str, int],
    extended: tuple[int, int] = (0, 0),
) -> StageFigures:
    """One stage's figures. In time and late are a breakdown of those answered, suppressed
    together with it (6 answered, 1 late: the 5 in time and the 6 are hidden as well); CH02's
    share is withheld when either is hidden, since with the number answered it would give
    them back."""
    split = suppress(TIMELINESS, {"in_time": in_time, "late": answered - in_time})
    (_, in_time_shown), (_, late_shown) = split.rows
    share = derived(
        round(100 * in_time / answered, 1) if answered else None,
        answered,
        in_time_shown,
        late_shown,
        split.total,
    )
    return StageFigures(
        stage=stage,
        received=shown(received),
        per_thousand_homes=_per_thousand(received, homes),
        answered=split.total,
        answered_in_time=in_time_shown,
        answered_late=late_shown,
        share_in_time=share,
        not_counted=[(label, shown(not_counted.get(why, 0))) for why, label in NOT_COUNTED.items()],
        extended=shown(extended[0]),
        extended_beyond_standard=shown(extended[1]),
    )


async def complaint_stages(
    session: AsyncSession,
    begin: datetime,
    finish: datetime,
    homes: int | None,
    tz: ZoneInfo,
    region: str,
) -> list[StageFigures]:
    """CH01 (received per 1,000 homes) and CH02 (answered in time), per stage."""

    def within(moment: Any) -> ColumnElement[bool]:
        return and_(moment >= begin, moment < finish)

    counts = await complaint_counts(session, begin, finish, tz, region)
    extended = {
        stage: (int(count), int(beyond or 0))
        for stage, count, beyond in await session.execute(
            select(
                FeedbackExtension.stage,
                func.count(),
                func.count(FeedbackExtension.good_reason),
            )
            .join(Feedback, Feedback.id == FeedbackExtension.feedback_id)
            .where(Feedback.status.not_in(NOT_COUNTED), within(FeedbackExtension.created_at))
            .group_by(FeedbackExtension.stage)
        )
    }
    return [
        stage_figures(
            stage,
            counts.received[stage],
            homes,
            answered=counts.answered[stage][0],
            in_time=counts.answered[stage][1],
            not_counted=counts.not_counted[stage],
            extended=extended.get(stage, (0, 0)),
        )
        for stage in (1, 2)
    ]


@dataclass(frozen=True)
class ComplaintCounts:
    """Per stage, before suppression: complaints received (stage 2: escalated) in the
    period, those not counted by why, and (answered, answered in time)."""

    received: dict[int, int]
    not_counted: dict[int, dict[str, int]]
    answered: dict[int, tuple[int, int]]


async def complaint_counts(
    session: AsyncSession, begin: datetime, finish: datetime, tz: ZoneInfo, region: str
) -> ComplaintCounts:
    """CH01 and CH02's counts for the period, exactly as ``complaint_stages`` publishes
    them before the small-number rule: one query and one tally, so that the TSM return's
    unsuppressed figures (``bot.reports.tsm_return``) can never drift from the report's."""

    def within(moment: Any) -> ColumnElement[bool]:
        return and_(moment >= begin, moment < finish)

    by_status = await session.execute(
        select(Feedback.status, func.count())
        .where(Feedback.is_complaint.is_(True), within(Feedback.received_at))
        .group_by(Feedback.status)
    )
    tally = _Tally(begin, finish, tz, region)
    for status, count in by_status:
        if status in NOT_COUNTED:
            tally.not_counted[1][status] += count
        else:
            tally.received[1] += count
    tally.count(await _complaint_rows(session, finish, within))
    return ComplaintCounts(
        received=dict(tally.received),
        not_counted={stage: dict(counted) for stage, counted in tally.not_counted.items()},
        answered={stage: (pair[0], pair[1]) for stage, pair in tally.answered.items()},
    )


def _escalated_or_answered(finish: datetime, within: Any) -> Select[Any]:
    """One row per complaint escalated or answered at a stage in the period (``within``),
    with the first answer at each stage from its whole history (it may come before the
    period) and what its due dates are worked out from."""
    change = FeedbackStatusChange
    # A complaint's answers and escalation, each beside its first escalation (a window, so
    # the history is read once), for complaints received before the period ended.
    first_escalation = (
        func.min(case((change.to_status == "escalated", change.changed_at)))
        .over(partition_by=change.feedback_id)
        .label("escalated_at")
    )
    steps = (
        select(change.feedback_id, change.to_status, change.changed_at, first_escalation)
        .join(Feedback, Feedback.id == change.feedback_id)
        .where(
            Feedback.is_complaint.is_(True),
            Feedback.received_at < finish,
            change.to_status.in_((*ANSWERS, "escalated")),
        )
        .subquery()
    )
    escalated_at = steps.c.escalated_at
    answer = steps.c.to_status.in_(ANSWERS)
    before_escalation = or_(escalated_at.is_(None), steps.c.changed_at < escalated_at)
    stage1_answer = func.min(case((and_(answer, before_escalation), steps.c.changed_at)))
    stage2_answer = func.min(
        case((and_(answer, steps.c.changed_at > escalated_at), steps.c.changed_at))
    )
    per_complaint = (
        select(
            steps.c.feedback_id,
            escalated_at,
            stage1_answer.label("stage1"),
            stage2_answer.label("stage2"),
        )
        .group_by(steps.c.feedback_id, escalated_at)
        .having(or_(within(escalated_at), within(stage1_answer), within(stage2_answer)))
        .subquery()
    )
    # The moments as the driver gives them (``_Tally`` makes them aware: ``plain``).
    columns: list[Any] = [
        Feedback.status,
        plain(Feedback.received_at),
        plain(Feedback.acknowledged_at),
        Feedback.response_due_on,
        Feedback.stage1_response_due_on,
        plain(per_complaint.c.escalated_at),
        plain(per_complaint.c.stage1),
        plain(per_complaint.c.stage2),
    ]
    return select(*columns).join(per_complaint, per_complaint.c.feedback_id == Feedback.id)


async def _complaint_rows(
    session: AsyncSession, finish: datetime, within: Any
) -> Sequence[Sequence[Any]]:
    """The rows of ``_escalated_or_answered``, their escalation and answers aware: as
    PostgreSQL gives them, or made so from SQLite's naive UTC (``plain``; receipt and
    acknowledgement only when needed: ``_Tally._stage1_due``)."""
    connection = await session.connection()
    rows: Sequence[Sequence[Any]] = (
        await connection.execute(_escalated_or_answered(finish, within))
    ).all()
    if is_postgresql(session):
        return rows
    return [(*row[:5], *(aware_or_none(moment) for moment in row[5:])) for row in rows]


class _Tally:
    """Per stage: complaints received (stage 2: escalated) in the period, those not
    counted, and the answers in it and those in time. ``due_dates``: a memo of stage 1's
    due dates worked out again, keyed by the two London days they are worked out from
    (receipt, acknowledgement) only, not by time zone or region: valid because it is
    shared only between the tallies of one call, which have one time zone and one region
    (and the bank holidays do not change within it)."""

    def __init__(
        self,
        begin: datetime,
        finish: datetime,
        tz: ZoneInfo,
        region: str,
        due_dates: dict[tuple[date, date | None], date] | None = None,
    ) -> None:
        # In UTC, as the rows' moments are: compared without a time zone's offsets.
        self.begin, self.finish = begin.astimezone(UTC), finish.astimezone(UTC)
        self.tz, self.region = tz, region
        self.due_dates = {} if due_dates is None else due_dates
        self.received = {1: 0, 2: 0}
        self.not_counted: dict[int, Counter[str]] = {1: Counter(), 2: Counter()}
        self.answered = {1: [0, 0], 2: [0, 0]}  # stage -> [answered, in time]

    def count(self, rows: Iterable[Any]) -> None:
        """Count each complaint row of ``_complaint_rows``."""
        begin, finish, tz = self.begin, self.finish, self.tz
        for row in rows:
            status, received_at, acknowledged_at, stored_due, kept_due = row[:5]
            escalated, stage1, stage2 = row[5:]
            escalated_in_period = escalated is not None and begin <= escalated < finish
            if status in NOT_COUNTED:
                if escalated_in_period:
                    self.not_counted[2][status] += 1
                continue
            if escalated_in_period:
                self.received[2] += 1
            for stage, answered_at in ((1, stage1), (2, stage2)):
                if answered_at is None or not begin <= answered_at < finish:
                    continue
                due_on = stored_due
                if stage == 1 and escalated is not None:
                    # The stored due date is stage 2's now: stage 1's was kept at the
                    # escalation (or, escalated before it was kept, is worked out again).
                    due_on = kept_due or self._stage1_due(received_at, acknowledged_at)
                self.answered[stage][0] += 1
                if due_on is not None and answered_at.astimezone(tz).date() <= due_on:
                    self.answered[stage][1] += 1

    def _stage1_due(self, received_at: datetime, acknowledged_at: datetime | None) -> date:
        """``clocks.complaint_due_dates``'s answer date, which depends only on the London
        days of receipt and acknowledgement: worked out once per pair of days."""
        received, acknowledged = aware(received_at), aware_or_none(acknowledged_at)
        days = (
            received.astimezone(self.tz).date(),
            None if acknowledged is None else acknowledged.astimezone(self.tz).date(),
        )
        due = self.due_dates.get(days)
        if due is None:
            due = clocks.complaint_due_dates(
                received, self.tz, self.region, 1, acknowledged
            ).respond_by
            self.due_dates[days] = due
        return due


async def answered_in_time_by_span(
    session: AsyncSession, edges: Sequence[datetime], tz: ZoneInfo, region: str
) -> list[tuple[int, int]]:
    """CH02 at both stages together, (answered, in time), for each span between
    consecutive ``edges`` (the report's monthly trends: ``bot.reports.trends``). One query
    for every span; each span counted by the rules of ``complaint_stages``."""

    def within(moment: Any) -> ColumnElement[bool]:
        return and_(moment >= edges[0], moment < edges[-1])

    # Each row handed only to the spans its escalation or answers fall in (a tally per span
    # over every row would read them all a dozen times).
    rows: list[list[Any]] = [[] for _ in edges[1:]]
    # In UTC, as the rows' moments are (compared without a time zone's offsets).
    utc_edges = [edge.astimezone(UTC) for edge in edges]
    for row in await _complaint_rows(session, edges[-1], within):
        moments = (moment for moment in row[5:] if moment is not None)
        for index in {bisect_right(utc_edges, moment) - 1 for moment in moments}:
            if 0 <= index < len(rows):
                rows[index].append(row)
    spans = []
    due_dates: dict[tuple[date, date | None], date] = {}
    for (begin, finish), span_rows in zip(pairwise(edges), rows, strict=True):
        tally = _Tally(begin, finish, tz, region, due_dates)
        tally.count(span_rows)
        answered = tally.answered.values()
        spans.append((sum(n for n, _ in answered), sum(t for _, t in answered)))
    return spans
