"""The social impact and compliance report: a period's figures, small numbers suppressed.

The period is a pair of London calendar dates, both included: it runs from the local
midnight that begins ``start`` to the local midnight that ends ``end`` (so a report at
23:30 UTC on a summer evening belongs to the next day, as the resident saw it).

What each figure counts (the page and the CSV say the same):

- Residents, by neighbourhood: *new* = agreed to the privacy notice in the period;
  *registered* = agreed before the period ended and not forgotten by then; *active* =
  sent a report or asked for an event place in the period. A resident's neighbourhood
  is the one they have now.
- Feedback: reports received in the period, by category, by outcome (their status now)
  and by neighbourhood.
- Times, in hours of the clock (not working days; the Code's working-day deadlines are
  what CH02 measures): received to acknowledged, and received to resolved or closed,
  over the reports received in the period that got there. Median and 90th percentile
  are linear-interpolated (PostgreSQL's ``percentile_cont``; the same formula in Python
  on SQLite).
- CH01: stage 1 complaints received in the period and complaints escalated to stage 2 in
  the period, per 1,000 homes (the number of homes comes from the settings).
- CH02: complaints answered at a stage in the period, and the share answered by the
  stage's due date (London date). An answer is the first move to resolved, closed or "no
  further action" at that stage (withdrawn, duplicate and "not a complaint" are not
  answers and are left out). Stage 2 begins at the escalation. The due date is the
  report's ``response_due_on`` (an extension moves it); for a complaint escalated since,
  whose stored due date is now stage 2's, stage 1's is the one kept at the escalation
  (``stage1_response_due_on``, extension included), or, for complaints escalated before
  that was kept, worked out again from receipt and acknowledgement with the same clocks.
- Awaab's Law: hazard reports received in the period. The records hold no separate
  "made safe" or "investigated" moment, so *met* means resolved or closed by the
  deadline (emergency: 24 hours; damp and mould: the investigation's due date). That
  undercounts: work done in time on a report closed later shows as missed. Open reports
  are *overdue* past the deadline, else *not yet due*.
- Satisfaction: the 1-5 ratings residents gave to events held in the period (the only
  ratings the system holds; feedback has no satisfaction question).
- Events held in the period (not cancelled); attendance = places marked attended by
  staff, or, where staff marked nothing, the resident's own "I went"; people = those
  places' party sizes; repeat attendees = residents who attended two or more.
- Announcements: broadcasts started in the period; messages sent; reach = distinct
  residents at least one of them reached.

Suppression (so nobody can be identified): every figure that counts residents, or things
residents did (reports, complaints, places, ratings), and is 1 to 4 shows as "fewer
than 5"; a breakdown's cells are protected by the number of distinct residents behind
them (anonymised reports count one each). So that the total cannot give a hidden cell
back, a breakdown with exactly one hidden cell hides its next smallest cell too ("hidden"),
or, when there is no other cell to hide, its total. A time or an average over fewer than
5 is not shown, nor is a percentage or an average that, with its count, would give a
hidden cell back (CH02's share when "in time" or "late" is hidden; the average rating
when a rating cell is). Breakdowns are one-dimensional only (no cross tables), so these
rules are enough. Zero is shown: it identifies nobody.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Float,
    and_,
    case,
    cast,
    distinct,
    func,
    literal,
    or_,
    select,
    union,
)
from sqlalchemy.ext.asyncio import AsyncSession

from bot.feedback import clocks
from bot.models import (
    Broadcast,
    Delivery,
    Event,
    EventBooking,
    Feedback,
    FeedbackStatusChange,
    Neighbourhood,
    Resident,
)

SMALL = 5
FEWER_THAN_5 = "fewer than 5"
HIDDEN = "hidden"
SET_HOMES = "set the number of homes"
# A figure as shown: a number, or one of the two suppression words.
Shown = int | float | str

CATEGORY_LABELS = {
    "repairs": "Repairs",
    "damp_mould": "Damp and mould",
    "antisocial": "Anti-social behaviour",
    "estate": "Neighbourhood and estate",
    "complaint": "Complaint",
    "suggestion": "Suggestion",
    "compliment": "Compliment",
    "other": "Other",
}
OUTCOME_LABELS = {
    "open": "Open",
    "resolved": "Resolved",
    "closed": "Closed",
    "no_further_action": "No further action",
    "duplicate": "Duplicate",
    "not_a_complaint": "Not a complaint (service request)",
    "withdrawn": "Withdrawn",
}
OPEN_STATUSES = ("new", "acknowledged", "in_progress", "escalated")
ANSWERS = ("resolved", "closed", "no_further_action")
NO_NEIGHBOURHOOD = "No neighbourhood"
PERIOD_MAX_DAYS = 3660
K = TypeVar("K", bound=Hashable)


# ----- the period ---------------------------------------------------------------------------


class BadPeriod(ValueError):
    """A period that cannot be used; the message is plain English for staff (the dashboard)."""


@dataclass(frozen=True)
class Period:
    """London calendar dates, both included."""

    start: date
    end: date

    def bounds(self, tz: ZoneInfo) -> tuple[datetime, datetime]:
        """The instants the period begins and ends (end excluded)."""
        begin = datetime.combine(self.start, time.min, tzinfo=tz)
        finish = datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=tz)
        return begin, finish


def last_full_quarter(today: date) -> Period:
    """The calendar quarter before the one ``today`` is in."""
    first_month = 3 * ((today.month - 1) // 3) + 1
    this_quarter = date(today.year, first_month, 1)
    end = this_quarter - timedelta(days=1)
    return Period(date(end.year, end.month - 2, 1), end)


def parse_period(start: str | None, end: str | None, today: date) -> Period:
    """The period from a form's two ISO dates (either missing: the last full quarter)."""
    if not start and not end:
        return last_full_quarter(today)
    if not start or not end:
        raise BadPeriod("Give both dates of the period, or neither.")
    try:
        period = Period(date.fromisoformat(start.strip()), date.fromisoformat(end.strip()))
    except ValueError:
        raise BadPeriod("Dates are written like 2026-04-01.") from None
    if period.end < period.start:
        raise BadPeriod("The period ends before it starts.")
    if (period.end - period.start).days > PERIOD_MAX_DAYS:
        raise BadPeriod("The period can be ten years at most.")
    return period


# ----- suppression --------------------------------------------------------------------------


def shown(count: int) -> Shown:
    """A count of residents (or their doings) as it may be shown."""
    return FEWER_THAN_5 if 0 < count < SMALL else count


@dataclass(frozen=True)
class Breakdown:
    """One-dimensional figures with their total, suppressed."""

    rows: list[tuple[str, Shown]]
    total: Shown


def suppress(
    labels: Mapping[K, str], counts: Mapping[K, int], people: Mapping[K, int] | None = None
) -> Breakdown:
    """The rows in ``labels``'s order, small cells hidden so the total cannot betray them.

    ``people``: the distinct residents behind each cell (default: the count itself).
    """
    people = counts if people is None else people
    values: dict[K, Shown] = {key: counts.get(key, 0) for key in labels}
    small = [key for key in labels if 0 < people.get(key, 0) < SMALL]
    for key in small:
        values[key] = FEWER_THAN_5
    total: Shown = shown(sum(counts.values()))
    if len(small) == 1:
        others = [key for key in labels if key not in small and counts.get(key, 0) > 0]
        if others:
            values[min(others, key=lambda key: counts.get(key, 0))] = HIDDEN
        else:
            total = HIDDEN
    return Breakdown([(labels[key], values[key]) for key in labels], total)


# ----- percentiles --------------------------------------------------------------------------


@dataclass(frozen=True)
class Spread:
    """How long something took, in hours: how many, median, 90th percentile."""

    count: int
    median: float | None
    p90: float | None

    @property
    def count_shown(self) -> Shown:
        return shown(self.count)

    @property
    def median_shown(self) -> Shown:
        return _hours(self.median) if self.count >= SMALL else FEWER_THAN_5

    @property
    def p90_shown(self) -> Shown:
        return _hours(self.p90) if self.count >= SMALL else FEWER_THAN_5


def _hours(seconds: float | None) -> Shown:
    return "" if seconds is None else round(seconds / 3600, 1)


def percentile(ordered: Sequence[float], fraction: float) -> float | None:
    """Linear interpolation between closest ranks, as PostgreSQL's percentile_cont."""
    if not ordered:
        return None
    position = fraction * (len(ordered) - 1)
    below = int(position)
    above = min(below + 1, len(ordered) - 1)
    return ordered[below] + (ordered[above] - ordered[below]) * (position - below)


def _seconds_between(session: AsyncSession, later: Any, earlier: Any) -> ColumnElement[float]:
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.extract("epoch", later - earlier), Float)
    return (func.julianday(later) - func.julianday(earlier)) * 86400.0


async def _spreads(
    session: AsyncSession,
    measures: Sequence[ColumnElement[float]],
    where: Sequence[ColumnElement[bool]],
) -> list[Spread]:
    """Count, median and 90th percentile of each measure (seconds) over the rows ``where``
    picks, in one pass; a row's measure may be NULL (not got there yet)."""
    if session.get_bind().dialect.name == "postgresql":
        columns = []
        for seconds in measures:
            columns += [
                func.count(seconds),
                func.percentile_cont(0.5).within_group(seconds),
                func.percentile_cont(0.9).within_group(seconds),
            ]
        row = (await session.execute(select(*columns).where(*where))).one()
        return [
            Spread(int(row[i]), _float(row[i + 1]), _float(row[i + 2]))
            for i in range(0, len(columns), 3)
        ]
    # SQLite has no percentile: the measures are read once and sorted here.
    values: list[list[float]] = [[] for _ in measures]
    found = await session.execute(
        select(*measures).where(*where, or_(*(seconds.is_not(None) for seconds in measures)))
    )
    for row in found:
        for column, value in zip(values, row, strict=True):
            if value is not None:
                column.append(float(value))
    return [
        Spread(len(column), percentile(column, 0.5), percentile(column, 0.9))
        for column in map(sorted, values)
    ]


def _float(value: Any) -> float | None:
    """PostgreSQL's percentile_cont gives a double (or NULL over no rows)."""
    return None if value is None else float(value)


# ----- the report ---------------------------------------------------------------------------


@dataclass(frozen=True)
class NeighbourhoodResidents:
    """Residents by neighbourhood: new in the period, registered at its end, active in it."""

    new: Breakdown
    registered: Breakdown
    active: Breakdown


@dataclass(frozen=True)
class StageFigures:
    """CH01 and CH02 for one stage of the Complaint Handling Code."""

    stage: int
    received: Shown
    per_thousand_homes: Shown  # a figure, FEWER_THAN_5, or "set the number of homes"
    answered: Shown
    answered_in_time: Shown
    answered_late: Shown
    share_in_time: Shown  # a percentage, or a suppression word


@dataclass(frozen=True)
class HazardFigures:
    """Awaab's Law timeliness for one kind of hazard."""

    kind: str
    label: str
    deadline: str
    outcomes: Breakdown  # met, missed, overdue, not yet due


@dataclass(frozen=True)
class ImpactReport:
    """Every figure of the report, already suppressed (see the module's note)."""

    period: Period
    homes: int | None
    residents: NeighbourhoodResidents
    feedback_total: Shown
    by_category: Breakdown
    by_outcome: Breakdown
    by_neighbourhood: Breakdown
    to_acknowledge: Spread
    to_resolve: Spread
    stages: list[StageFigures]
    hazards: list[HazardFigures]
    ratings: Breakdown
    rating_average: Shown
    events_held: int
    attendance: Shown
    attendance_people: Shown
    repeat_attendees: Shown
    broadcasts: int
    messages_sent: Shown
    reach: Shown


async def impact_report(
    session: AsyncSession,
    period: Period,
    *,
    homes: int | None,
    tz: ZoneInfo,
    region: str,
    now: datetime,
) -> ImpactReport:
    """Every figure of the report for ``period`` (``homes``: None when not set)."""
    begin, finish = period.bounds(tz)
    names = await _neighbourhood_names(session)
    received = [Feedback.received_at >= begin, Feedback.received_at < finish]
    by_category, by_outcome, by_area, total = await _feedback_breakdowns(session, received, names)
    spreads = await _spreads(
        session,
        [
            _seconds_between(session, Feedback.acknowledged_at, Feedback.received_at),
            _seconds_between(
                session,
                func.coalesce(Feedback.resolved_at, Feedback.closed_at),
                Feedback.received_at,
            ),
        ],
        received,
    )
    return ImpactReport(
        period=period,
        homes=homes,
        residents=await _residents(session, begin, finish, names),
        feedback_total=total,
        by_category=by_category,
        by_outcome=by_outcome,
        by_neighbourhood=by_area,
        to_acknowledge=spreads[0],
        to_resolve=spreads[1],
        stages=await _complaint_stages(session, begin, finish, homes, tz, region),
        hazards=await _hazards(session, received, tz, now),
        **await _events(session, begin, finish),
        **await _announcements(session, begin, finish),
    )


async def _neighbourhood_names(session: AsyncSession) -> dict[int | None, str]:
    rows = await session.execute(select(Neighbourhood.id, Neighbourhood.name).order_by("name"))
    names: dict[int | None, str] = {area_id: name for area_id, name in rows}
    names[None] = NO_NEIGHBOURHOOD
    return names


async def _residents(
    session: AsyncSession, begin: datetime, finish: datetime, names: dict[int | None, str]
) -> NeighbourhoodResidents:
    registered = and_(
        Resident.consented_at < finish,
        or_(Resident.forgotten_at.is_(None), Resident.forgotten_at >= finish),
    )
    new = and_(Resident.consented_at >= begin, Resident.consented_at < finish)
    rows = await session.execute(
        select(
            Resident.neighbourhood_id,
            func.count().filter(new),
            func.count().filter(registered),
        ).group_by(Resident.neighbourhood_id)
    )
    new_counts: dict[int | None, int] = {}
    registered_counts: dict[int | None, int] = {}
    for area_id, new_count, registered_count in rows:
        new_counts[area_id] = new_count
        registered_counts[area_id] = registered_count
    doers = union(
        select(Feedback.resident_id.label("resident_id")).where(
            Feedback.received_at >= begin, Feedback.received_at < finish
        ),
        select(EventBooking.resident_id.label("resident_id")).where(
            EventBooking.requested_at >= begin, EventBooking.requested_at < finish
        ),
    ).subquery()
    active_counts: dict[int | None, int] = {
        area_id: count
        for area_id, count in await session.execute(
            select(Resident.neighbourhood_id, func.count())
            .join(doers, doers.c.resident_id == Resident.id)
            .group_by(Resident.neighbourhood_id)
        )
    }
    return NeighbourhoodResidents(
        new=suppress(names, new_counts),
        registered=suppress(names, registered_counts),
        active=suppress(names, active_counts),
    )


async def _feedback_breakdowns(
    session: AsyncSession, received: list[ColumnElement[bool]], names: dict[int | None, str]
) -> tuple[Breakdown, Breakdown, Breakdown, Shown]:
    """Reports received, by category, by outcome and by neighbourhood, with the people."""
    outcome = case((Feedback.status.in_(OPEN_STATUSES), literal("open")), else_=Feedback.status)
    # Distinct residents behind a cell; an anonymised report's resident is unknown, so
    # each counts as one more.
    people = func.count(distinct(Feedback.resident_id)) + func.count().filter(
        Feedback.resident_id.is_(None)
    )
    counts: dict[str, dict[Any, int]] = {}
    persons: dict[str, dict[Any, int]] = {}
    for name, column in (
        ("category", Feedback.category),
        ("outcome", outcome),
        ("area", Feedback.neighbourhood_id),
    ):
        rows = await session.execute(
            select(column, func.count(), people).where(*received).group_by(column)
        )
        counts[name], persons[name] = {}, {}
        for key, count, who in rows:
            counts[name][key], persons[name][key] = int(count), int(who)
    categories = dict(CATEGORY_LABELS)
    categories.update({code: code for code in counts["category"] if code not in categories})
    outcomes = dict(OUTCOME_LABELS)
    outcomes.update({code: code for code in counts["outcome"] if code not in outcomes})
    return (
        suppress(categories, counts["category"], persons["category"]),
        suppress(outcomes, counts["outcome"], persons["outcome"]),
        suppress(names, counts["area"], persons["area"]),
        shown(sum(counts["category"].values())),
    )


def _per_thousand(count: int, homes: int | None) -> Shown:
    if homes is None:
        return SET_HOMES
    if 0 < count < SMALL:
        return FEWER_THAN_5
    return round(count * 1000 / homes, 2)


TIMELINESS = {"in_time": "In time", "late": "Late"}


def _stage(
    stage: int, received: int, homes: int | None, answered: int, in_time: int
) -> StageFigures:
    """One stage's figures; in time and late are a breakdown of those answered."""
    split = suppress(TIMELINESS, {"in_time": in_time, "late": answered - in_time})
    (_, in_time_shown), (_, late_shown) = split.rows
    share: Shown
    if answered == 0:
        share = ""
    elif answered < SMALL:
        share = FEWER_THAN_5
    elif isinstance(in_time_shown, str) or isinstance(late_shown, str):
        share = HIDDEN  # the percentage would give the hidden counts back
    else:
        share = round(100 * in_time / answered, 1)
    return StageFigures(
        stage=stage,
        received=shown(received),
        per_thousand_homes=_per_thousand(received, homes),
        answered=split.total,
        answered_in_time=in_time_shown,
        answered_late=late_shown,
        share_in_time=share,
    )


async def _complaint_stages(
    session: AsyncSession,
    begin: datetime,
    finish: datetime,
    homes: int | None,
    tz: ZoneInfo,
    region: str,
) -> list[StageFigures]:
    """CH01 (received per 1,000 homes) and CH02 (answered in time), per stage.

    One row per complaint escalated or answered at a stage in the period, with the first
    answer at each stage from its whole history (it may come before the period).
    """
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
    stage1_answer = func.min(
        case(
            (
                and_(answer, or_(escalated_at.is_(None), steps.c.changed_at < escalated_at)),
                steps.c.changed_at,
            )
        )
    )
    stage2_answer = func.min(
        case((and_(answer, steps.c.changed_at > escalated_at), steps.c.changed_at))
    )

    def within(moment: Any) -> ColumnElement[bool]:
        return and_(moment >= begin, moment < finish)

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
    complaints = select(
        Feedback.received_at,
        Feedback.acknowledged_at,
        Feedback.response_due_on,
        Feedback.stage1_response_due_on,
        per_complaint.c.escalated_at,
        per_complaint.c.stage1,
        per_complaint.c.stage2,
    ).join(per_complaint, per_complaint.c.feedback_id == Feedback.id)
    stage1_received = await session.scalar(
        select(func.count()).where(Feedback.is_complaint.is_(True), within(Feedback.received_at))
    )
    received = {1: int(stage1_received or 0), 2: 0}
    tally = {1: [0, 0], 2: [0, 0]}  # stage -> [answered, in time]
    connection = await session.connection()
    for (
        received_at,
        acknowledged_at,
        stored_due,
        kept_stage1_due,
        escalated,
        stage1,
        stage2,
    ) in await connection.execute(complaints):
        if escalated is not None and begin <= _aware(escalated) < finish:
            received[2] += 1
        for stage, answered_at in ((1, stage1), (2, stage2)):
            if answered_at is None or not begin <= _aware(answered_at) < finish:
                continue
            due_on = stored_due
            if stage == 1 and escalated is not None:
                # The stored due date is stage 2's now: stage 1's was kept at the escalation
                # (or, escalated before it was kept, is worked out again).
                due_on = (
                    kept_stage1_due
                    or clocks.complaint_due_dates(
                        _aware(received_at), tz, region, 1, _aware_or_none(acknowledged_at)
                    ).respond_by
                )
            tally[stage][0] += 1
            if due_on is not None and _aware(answered_at).astimezone(tz).date() <= due_on:
                tally[stage][1] += 1
    return [_stage(stage, received[stage], homes, *tally[stage]) for stage in (1, 2)]


def _aware(moment: datetime) -> datetime:
    """An aggregate's datetime (a MIN loses the column type: SQLite gives naive text)."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo("UTC"))


def _aware_or_none(moment: datetime | None) -> datetime | None:
    return None if moment is None else _aware(moment)


HAZARDS = {
    "emergency": ("Emergency hazards", "made safe within 24 hours"),
    "damp_mould": ("Significant damp and mould", "investigated within 10 working days"),
}
HAZARD_OUTCOMES = {
    "met": "Resolved or closed in time",
    "missed": "Resolved or closed late",
    "overdue": "Open, past the deadline",
    "pending": "Open, not yet due",
}


async def _hazards(
    session: AsyncSession, received: list[ColumnElement[bool]], tz: ZoneInfo, now: datetime
) -> list[HazardFigures]:
    """Awaab's Law: each hazard report received, met or missed (see the module's note)."""
    rows = await session.execute(
        select(
            Feedback.hazard_kind,
            Feedback.resident_id,
            func.coalesce(Feedback.resolved_at, Feedback.closed_at),
            Feedback.make_safe_due_at,
            Feedback.investigate_due_on,
        ).where(*received, Feedback.hazard_kind.is_not(None))
    )
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    people: dict[str, dict[str, set[object]]] = defaultdict(lambda: defaultdict(set))
    today = now.astimezone(tz).date()
    for index, (kind, resident_id, done_at, safe_by, investigate_by) in enumerate(rows):
        if kind is None:
            continue
        done = None if done_at is None else _aware(done_at)
        if kind == "emergency" and safe_by is not None:
            if done is not None:
                outcome = "met" if done <= safe_by else "missed"
            else:
                outcome = "overdue" if now > safe_by else "pending"
        elif investigate_by is not None:
            if done is not None:
                outcome = "met" if done.astimezone(tz).date() <= investigate_by else "missed"
            else:
                outcome = "overdue" if today > investigate_by else "pending"
        else:
            continue
        counts[kind][outcome] += 1
        people[kind][outcome].add(resident_id if resident_id is not None else ("anon", index))
    return [
        HazardFigures(
            kind,
            label,
            deadline,
            suppress(
                HAZARD_OUTCOMES,
                counts[kind],
                {outcome: len(who) for outcome, who in people[kind].items()},
            ),
        )
        for kind, (label, deadline) in HAZARDS.items()
    ]


async def _events(session: AsyncSession, begin: datetime, finish: datetime) -> dict[str, Any]:
    held = [Event.starts_at >= begin, Event.starts_at < finish, Event.status != "cancelled"]
    events_held = await session.scalar(select(func.count()).select_from(Event).where(*held))
    went = or_(
        EventBooking.attended.is_(True),
        and_(EventBooking.attended.is_(None), EventBooking.said_attended.is_(True)),
    )
    booking_in_period = (
        select(EventBooking).join(Event, Event.id == EventBooking.event_id).where(*held)
    )
    attended = booking_in_period.where(went, EventBooking.status == "booked").subquery()
    places, party = (
        await session.execute(
            select(func.count(), func.coalesce(func.sum(attended.c.party_size), 0))
        )
    ).one()
    per_resident = (
        select(attended.c.resident_id)
        .where(attended.c.resident_id.is_not(None))
        .group_by(attended.c.resident_id)
        .having(func.count(distinct(attended.c.event_id)) >= 2)
        .subquery()
    )
    repeat = await session.scalar(select(func.count()).select_from(per_resident))
    rated = booking_in_period.where(EventBooking.rating.is_not(None)).subquery()
    ratings: dict[int, int] = {
        int(score): int(count)
        for score, count in await session.execute(
            select(rated.c.rating, func.count()).group_by(rated.c.rating)
        )
    }
    rating_count = sum(ratings.values())
    spread = suppress({score: f"{score} of 5" for score in range(5, 0, -1)}, ratings)
    average: Shown
    if rating_count == 0:
        average = ""
    elif rating_count < SMALL:
        average = FEWER_THAN_5
    elif any(isinstance(value, str) for _, value in spread.rows):
        average = HIDDEN  # with the count, an average can give hidden cells back
    else:
        average = round(sum(score * n for score, n in ratings.items()) / rating_count, 2)
    return {
        "ratings": spread,
        "rating_average": average,
        "events_held": int(events_held or 0),
        "attendance": shown(int(places)),
        "attendance_people": shown(int(party)),
        "repeat_attendees": shown(int(repeat or 0)),
    }


async def _announcements(
    session: AsyncSession, begin: datetime, finish: datetime
) -> dict[str, Any]:
    started = [Broadcast.started_at >= begin, Broadcast.started_at < finish]
    broadcasts = await session.scalar(select(func.count()).select_from(Broadcast).where(*started))
    sent, reach = (
        await session.execute(
            select(func.count(), func.count(distinct(Delivery.resident_id)))
            .join(Broadcast, Broadcast.id == Delivery.broadcast_id)
            .where(*started, Delivery.status == "sent")
        )
    ).one()
    return {
        "broadcasts": int(broadcasts or 0),
        "messages_sent": shown(int(sent)),
        "reach": shown(int(reach)),
    }


def _breakdown_rows(section: str, breakdown: Breakdown) -> list[tuple[str, str, Shown]]:
    return [(section, label, value) for label, value in breakdown.rows] + [
        (section, "Total", breakdown.total)
    ]


def figure_rows(report: ImpactReport) -> list[tuple[str, str, Shown]]:
    """Every figure of the report as (section, item, figure): the CSV's rows, in page order."""
    rows: list[tuple[str, str, Shown]] = [
        ("Period", "From", report.period.start.isoformat()),
        ("Period", "To", report.period.end.isoformat()),
        ("Period", "Homes", report.homes if report.homes is not None else SET_HOMES),
    ]
    rows += _breakdown_rows("New residents by neighbourhood", report.residents.new)
    rows += _breakdown_rows("Registered residents by neighbourhood", report.residents.registered)
    rows += _breakdown_rows("Active residents by neighbourhood", report.residents.active)
    rows += _breakdown_rows("Feedback by category", report.by_category)
    rows += _breakdown_rows("Feedback by outcome", report.by_outcome)
    rows += _breakdown_rows("Feedback by neighbourhood", report.by_neighbourhood)
    for name, spread in (
        ("Hours to acknowledge", report.to_acknowledge),
        ("Hours to resolve or close", report.to_resolve),
    ):
        rows += [
            (name, "Reports", spread.count_shown),
            (name, "Median", spread.median_shown),
            (name, "90th percentile", spread.p90_shown),
        ]
    for stage in report.stages:
        section = f"Complaints stage {stage.stage}"
        rows += [
            (section, "CH01 received", stage.received),
            (section, "CH01 per 1,000 homes", stage.per_thousand_homes),
            (section, "Answered", stage.answered),
            (section, "Answered in time", stage.answered_in_time),
            (section, "Answered late", stage.answered_late),
            (section, "CH02 % answered in time", stage.share_in_time),
        ]
    for hazard in report.hazards:
        rows += _breakdown_rows(f"Awaab's Law: {hazard.label}", hazard.outcomes)
    rows += _breakdown_rows("Event ratings", report.ratings)
    rows += [
        ("Event ratings", "Average (1-5)", report.rating_average),
        ("Events", "Held", report.events_held),
        ("Events", "Places attended", report.attendance),
        ("Events", "People attending (with parties)", report.attendance_people),
        ("Events", "Repeat attendees", report.repeat_attendees),
        ("Announcements", "Broadcasts", report.broadcasts),
        ("Announcements", "Messages sent", report.messages_sent),
        ("Announcements", "Residents reached", report.reach),
    ]
    return rows
