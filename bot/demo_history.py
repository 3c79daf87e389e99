"""A year of made-up history for ``doorstep demo``, so that every page has something true.

Without it the demo opens on an empty inbox and a report of zeros, and nobody sees what
Doorstep is for. This writes a year of life for a small association, ending at ``now``:
residents in each neighbourhood (fictional names), reports through every status with
replies and notes, complaints answered at both stages (some in time, some late, some
extended), Awaab's Law hazards with their stages, past events with bookings, attendance
and ratings, bookings for the coming ones, announcements sent, this reporting year's TSM
perception survey under way (``bot.demo_survey``) and the community's ideas, chest, polls,
volunteers and satisfaction answers (``bot.demo_community``). Every month before now has
at least five complaint answers, so that the report's trend charts show figures.

Everything goes through the services staff and residents use (``bot.feedback``,
``bot.events``, ``bot.broadcasts``), each given the moment it happened, so the rows,
clocks, history and audit are what those services write. Only what a service stamps with
the wall clock is written (or corrected) here: residents joining, and a report's first
history row. Messages those services queue are marked sent at the moment they were due:
history is never sent over the network.

Deterministic: the same ``now`` gives the same history (``random.Random`` with a seed).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.broadcasts.audiences import Audience
from bot.broadcasts.lifecycle import Plan, confirm_announcement, save_draft
from bot.broadcasts.sending import settle_broadcasts
from bot.config import Settings
from bot.demo_community import seed_community
from bot.demo_story import (
    ANNOUNCEMENTS,
    COMPLAINTS,
    LATE_JOINERS,
    PAST_EVENTS,
    RESIDENTS,
    SAID,
    WORDS,
)
from bot.demo_survey import SurveySummary, seed_survey
from bot.events.attendance import close_event, record_rating, record_went, set_attendance
from bot.events.places import sign_up
from bot.events.plans import EventPlan, publish_event
from bot.feedback import casework, extensions, hazards, lifecycle
from bot.feedback.draft import ReportDraft
from bot.feedback.notify import StaffNotices, is_urgent_for_staff
from bot.feedback.reports import submit_report
from bot.feedback.thread import add_resident_answer, add_staff_reply
from bot.models import (
    Delivery,
    Event,
    EventBooking,
    Feedback,
    FeedbackStatusChange,
    Neighbourhood,
    Resident,
    StaffMember,
    Topic,
    resident_topics,
)
from bot.reports.calendar import Month

# Seeded residents' Telegram ids: far from the web chat's own (random, 9 digits from 1e9)
# and from the demo staff's (900_000_001...). The sandbox knows their chats.
RESIDENT_ID_BASE = 910_000_000
SEED = 2026


@dataclass(frozen=True)
class HistorySummary:
    """What was written: counts a person (or a test) can check at a glance."""

    residents: int
    reports: int
    events: int
    announcements: int
    survey: SurveySummary | None = None


@dataclass
class _Writer:
    """One seeding run: the cast, the clock and the notices the services need."""

    session: AsyncSession
    notices: StaffNotices
    now: datetime
    officer: StaffMember
    colleague: StaffMember
    areas: dict[str, Neighbourhood]
    rng: random.Random = field(default_factory=lambda: random.Random(SEED))  # noqa: S311 - made-up data
    residents: list[tuple[Resident, datetime]] = field(default_factory=list)
    reports: int = 0

    @property
    def tz(self) -> ZoneInfo:
        return self.notices.tz

    def ago(self, days: float, hour: int = 10, minute: int = 0) -> datetime:
        """Local ``hour:minute`` on the day ``days`` before now, never later than now."""
        day = self.now.astimezone(self.tz).date() - timedelta(days=int(days))
        moment = datetime.combine(day, time(hour, minute), self.tz).astimezone(UTC)
        return min(moment, self.now - timedelta(minutes=5))

    def office(self, moment: datetime) -> datetime:
        """The first moment at or after ``moment`` in office hours (weekdays 9 to 5)."""
        local = moment.astimezone(self.tz)
        if local.hour >= 17:
            local = datetime.combine(local.date() + timedelta(days=1), time(9, 20), self.tz)
        elif local.hour < 9:
            local = datetime.combine(local.date(), time(9, 20), self.tz)
        while local.weekday() >= 5:
            local += timedelta(days=1)
        return local.astimezone(UTC)

    def words(self, kind: str) -> str:
        return self.rng.choice(WORDS[kind])

    def resident(self, before: datetime, area: str | None = None) -> Resident:
        """A resident who had joined by ``before`` (in ``area``, when given)."""
        joined = [
            r
            for r, since in self.residents
            if since < before and (area is None or r.neighbourhood_id == self.areas[area].id)
        ]
        return self.rng.choice(joined or [r for r, _ in self.residents])


# ----- residents ---------------------------------------------------------------------------------


async def _add_residents(w: _Writer) -> None:
    """Residents as onboarding leaves them (consented, named, in an area, following topics)."""
    topics = (await w.session.scalars(select(Topic).where(Topic.active.is_(True)))).all()
    rows = []
    for number, (name, area, welsh) in enumerate(RESIDENTS, start=1):
        joined = w.ago(LATE_JOINERS.get(number - 1, 360 + number % 5), 9 + number % 10)
        rows.append(
            (
                Resident(
                    telegram_user_id=RESIDENT_ID_BASE + number,
                    chat_id=RESIDENT_ID_BASE + number,
                    language="cy" if welsh else "en",
                    display_name=name.split()[0],
                    neighbourhood_id=w.areas[area].id,
                    consented_at=joined,
                    onboarded_at=joined + timedelta(minutes=2),
                    active=True,
                    created_at=joined,
                    updated_at=joined,
                ),
                joined,
            )
        )
    w.session.add_all([resident for resident, _ in rows])
    await w.session.flush()
    links = [
        {"resident_id": resident.id, "topic_id": topic.id}
        for resident, _ in rows
        for index, topic in enumerate(topics)
        if index == 0 or (resident.id + index) % 3 != 0
    ]
    if links:
        await w.session.execute(resident_topics.insert(), links)
    w.residents = rows


# ----- reports -----------------------------------------------------------------------------------


async def _report(
    w: _Writer,
    kind: str,
    received: datetime,
    *,
    area: str | None = None,
    complaint: bool = False,
    urgent: bool = False,
    shared_area: str | None = None,
) -> Feedback:
    """A report as the resident sent it at ``received`` (the service stamps its first
    history row and created_at with the wall clock: they are set to ``received``)."""
    resident = w.resident(received, area)
    category = "repairs" if kind == "emergency" else kind
    draft = ReportDraft(
        category=category,
        description=w.words(kind),
        shares_name=w.rng.random() < 0.7,
        is_complaint=complaint,
        urgent=urgent,
        aware_at=received.isoformat(),
        shared_area=shared_area,
    )
    report = await submit_report(
        w.session, resident, draft, tz=w.tz, region=w.notices.region, notices=w.notices
    )
    report.status_changes[0].changed_at = received
    report.created_at = report.updated_at = received
    # Staff were told when it arrived (the service queues that at the wall clock's time).
    await w.session.execute(
        update(Delivery)
        .where(Delivery.feedback_id == report.id, Delivery.status == "queued")
        .values(created_at=received, not_before=_due(w.notices, received, report))
        .execution_options(synchronize_session=False)
    )
    w.reports += 1
    return report


async def _work(
    w: _Writer,
    report: Feedback,
    until: str,
    *,
    ack_after: timedelta = timedelta(hours=20),
    answer_after: timedelta = timedelta(days=6),
    staff: StaffMember | None = None,
    since: datetime | None = None,
) -> datetime:
    """Take a report through acknowledged, in progress (a reply, maybe a note and the
    resident's answer) and resolved, stopping at ``until``. Returns the last moment."""
    s, n, who = w.session, w.notices, staff or w.officer
    start = since or report.received_at
    moment = w.office(start + ack_after)
    await lifecycle.acknowledge(s, report.id, who, n, now=moment)
    if until == "acknowledged":
        return moment
    moment = w.office(moment + timedelta(hours=26))
    await lifecycle.change_status(s, report.id, "in_progress", who, n, now=moment)
    await add_staff_reply(s, report.id, who, w.words("reply"), n, moment)
    if w.rng.random() < 0.5:
        await casework.add_note(s, report.id, who, w.words("note"), now=moment)
    if w.rng.random() < 0.4:
        resident = await s.get(Resident, report.resident_id)
        assert resident is not None
        answered = moment + timedelta(hours=3)
        await add_resident_answer(s, resident, report.id, w.words("answer"), n, answered)
    if until == "in_progress":
        return moment
    moment = w.office(max(moment + timedelta(hours=2), start + answer_after))
    await lifecycle.change_status(s, report.id, "resolved", who, n, now=moment)
    return moment


async def _close_quiet(w: _Writer, resolved: datetime) -> None:
    """The nightly job's run after the quiet period: resolved reports close by themselves."""
    days = (w.notices.resolved_close_days or 14) + 1
    night = datetime.combine(
        resolved.astimezone(w.tz).date() + timedelta(days=days), time(2, 15), w.tz
    ).astimezone(UTC)
    if night < w.now:
        await lifecycle.close_quiet_resolved(w.session, w.notices, night, limit=100)


async def _everyday_reports(w: _Writer) -> None:
    """Repairs, estate, anti-social behaviour, suggestions and thanks over the year, in
    every status; the last fortnight's still open."""
    kinds = ["repairs"] * 5 + ["estate"] * 3 + ["antisocial", "suggestion", "compliment", "other"]
    for days in range(350, 16, -14):
        kind = w.rng.choice(kinds)
        report = await _report(w, kind, w.ago(days, 8 + days % 12, days % 60))
        if kind == "compliment":
            moment = await _work(w, report, "acknowledged")
            await lifecycle.change_status(
                w.session, report.id, "no_further_action", w.officer, w.notices, now=moment
            )
            continue
        if days % 5 == 0:  # reported twice: closed as a duplicate once looked at
            moment = await _work(w, report, "acknowledged")
            await lifecycle.change_status(
                w.session, report.id, "duplicate", w.officer, w.notices, now=moment
            )
            continue
        resolved = await _work(w, report, "resolved", answer_after=timedelta(days=2 + days % 9))
        await _close_quiet(w, resolved)
    # The recent ones, still moving: the inbox's working set.
    recent = [
        (12, "repairs", "resolved"),
        (9, "estate", "resolved"),
        (7, "repairs", "in_progress"),
        (6, "antisocial", "in_progress"),
        (4, "repairs", "acknowledged"),
        (3, "suggestion", "acknowledged"),
        (2, "estate", "new"),
        (1, "repairs", "new"),
        (0, "other", "new"),
    ]
    for days, kind, status in recent:
        # The new estate report is about a shared place: neighbours back it (demo_community).
        shared = "neighbourhood" if (kind, status) == ("estate", "new") else None
        report = await _report(w, kind, w.ago(days, 8 + days, 40), shared_area=shared)
        if status != "new":
            await _work(
                w, report, status, ack_after=timedelta(hours=3), answer_after=timedelta(days=3)
            )


# ----- complaints --------------------------------------------------------------------------------


async def _complaints(w: _Writer) -> None:
    """Complaints at both stages, with the Code's clocks: CH01 and CH02 show real figures."""
    s, n = w.session, w.notices
    for days, late_ack, stage1, stage2 in COMPLAINTS:
        report = await _report(w, "complaint", w.ago(days, 11, 15), complaint=True)
        ack_after = timedelta(days=9) if late_ack else timedelta(hours=22)
        if stage1 is None:
            await _work(w, report, "in_progress", ack_after=ack_after)
            continue
        moment = await _work(w, report, "in_progress", ack_after=ack_after)
        if stage1 == "extended":
            moment = w.office(moment + timedelta(days=5))
            await extensions.extend_deadline(
                s, report.id, w.officer, 10, SAID["extension"], n, moment
            )
        answered = await _answer(w, report, w.officer, 1, late=stage1 == "late", after=moment)
        if answered is None or stage2 is None:
            await _close_quiet(w, answered or moment)
            continue
        asked = w.office(answered + timedelta(days=6))
        await casework.escalate(s, report.id, w.officer, w.colleague.id, n, now=asked)
        if stage2 == "open":
            await lifecycle.acknowledge(s, report.id, w.colleague, n, now=asked + timedelta(days=1))
            continue
        moment = await _work(
            w, report, "in_progress", ack_after=timedelta(days=1), staff=w.colleague, since=asked
        )
        answered = await _answer(w, report, w.colleague, 2, late=stage2 == "late", after=moment)
        if answered is not None:
            await _close_quiet(w, answered)
    # Just asked for stage 2: waiting to be acknowledged by its stage-2 handler.
    report = await _report(w, "complaint", w.ago(40, 14), complaint=True)
    await _work(w, report, "resolved", answer_after=timedelta(days=12))
    await casework.escalate(s, report.id, w.officer, w.colleague.id, n, now=w.ago(1, 11))


async def _more_complaints(w: _Writer, least: int = 5) -> None:
    """Each month before this one with fewer than ``least`` complaint answers gets more,
    answered at stage 1 in the month: the report's monthly trend of complaints answered in
    time shows a figure (a share of fewer than 5 answers is not shown)."""
    month = Month.of(w.now.astimezone(w.tz).date()).preceding()
    while month.first_day > min(since for _, since in w.residents).astimezone(w.tz).date():
        start, end = month.bounds(w.tz)
        given = await w.session.scalar(
            select(func.count())
            .select_from(FeedbackStatusChange)
            .join(Feedback, Feedback.id == FeedbackStatusChange.feedback_id)
            .where(Feedback.is_complaint, FeedbackStatusChange.to_status == "resolved")
            .where(FeedbackStatusChange.changed_at >= start, FeedbackStatusChange.changed_at < end)
        )
        for number in range(least - int(given or 0)):  # early enough to be answered in it
            received = _noon(month.first_day + timedelta(days=1 + 3 * number), w.tz)
            report = await _report(w, "complaint", received, complaint=True)
            acknowledged = w.office(received + timedelta(hours=20))
            await lifecycle.acknowledge(w.session, report.id, w.officer, w.notices, acknowledged)
            answered = await _answer(w, report, w.officer, 1, late=False, after=acknowledged)
            if answered is not None:
                await _close_quiet(w, answered)
        month = month.preceding()


async def _answer(
    w: _Writer, report: Feedback, staff: StaffMember, stage: int, *, late: bool, after: datetime
) -> datetime | None:
    """The stage's answer (a reply, then resolved): a few days before its due date, or
    well after it when ``late``. None, and the complaint left open, if that is not yet."""
    due = report.response_due_on
    assert due is not None
    answer_on = due + timedelta(days=9 + 3 * stage) if late else due - timedelta(days=3)
    answered = w.office(max(after + timedelta(hours=2), _noon(answer_on, w.tz)))
    if answered >= w.now:
        return None
    words = f"Our stage {stage} answer: {w.words('reply')}"
    await add_staff_reply(w.session, report.id, staff, words, w.notices, answered)
    await lifecycle.change_status(w.session, report.id, "resolved", staff, w.notices, now=answered)
    return answered


def _due(notices: StaffNotices, moment: datetime, report: Feedback) -> datetime:
    """When staff news of ``report`` queued at ``moment`` may go (the outbox's rule)."""
    quiet = notices.quiet_hours
    urgent = is_urgent_for_staff(report)
    return moment if urgent or quiet is None else quiet.release_at(moment)


def _noon(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(12), tz).astimezone(UTC)


# ----- Awaab's Law -------------------------------------------------------------------------------


async def _hazards(w: _Writer) -> None:
    """Emergencies made safe (one late), damp and mould investigated with every stage
    recorded (one late), one classified by staff, and one case still running."""
    s, n, staff = w.session, w.notices, w.officer
    for days, safe_hours in ((320, 6), (250, 30), (170, 4), (95, 9), (40, 3)):
        received = w.ago(days, 19, 30)
        report = await _report(w, "emergency", received, urgent=True)
        safe = received + timedelta(hours=safe_hours)
        recorded = safe + timedelta(hours=1)
        await hazards.record_works(
            s, report.id, staff, "safety_work_done", done_at=safe, now=recorded
        )
        await hazards.record_investigation(s, report.id, staff, n, done_at=safe, now=recorded)
        await hazards.send_summary(
            s, report.id, staff, SAID["made_safe"], n, now=w.office(recorded + timedelta(hours=12))
        )
        await hazards.record_accommodation(s, report.id, staff, "not_needed", now=recorded)
        resolved = await _work(w, report, "resolved", ack_after=timedelta(hours=1))
        await _close_quiet(w, resolved)
    for days, investigate_days in ((300, 6), (220, 9), (140, 22), (75, 5), (35, 8)):
        received = w.ago(days, 10)
        report = await _report(w, "damp_mould", received)
        await lifecycle.acknowledge(s, report.id, staff, n, now=w.office(received))
        investigated = w.office(received + timedelta(days=investigate_days))
        await hazards.record_investigation(s, report.id, staff, n, now=investigated)
        summary = w.office(investigated + timedelta(days=1))
        await hazards.send_summary(s, report.id, staff, SAID["damp_found"], n, now=summary)
        await hazards.record_works(
            s, report.id, staff, "safety_work_done", now=w.office(summary + timedelta(days=3))
        )
        started = w.office(summary + timedelta(days=20))
        if started < w.now:
            await hazards.record_works(s, report.id, staff, "preventive_works_started", now=started)
            resolved = await _work(w, report, "resolved", answer_after=timedelta(days=30))
            await _close_quiet(w, resolved)
    # A repair that turned out to be damp and mould: classified by staff, with the reason.
    report = await _report(w, "repairs", w.ago(4, 9, 30))
    await lifecycle.acknowledge(s, report.id, staff, n, now=w.ago(3, 10))
    await hazards.classify(
        s, report.id, staff, "damp_mould", SAID["classified"], n, now=w.ago(3, 10, 30)
    )
    # Still running: reported two days ago, not yet investigated.
    await _report(w, "damp_mould", w.ago(2, 16))


# ----- events ------------------------------------------------------------------------------------


async def _events(w: _Writer) -> int:
    """Past events with bookings, attendance, ratings and a closing record; bookings for
    the coming ones. Returns how many past events were written."""
    s, staff = w.session, w.officer
    for title, place, area, days, capacity, staff_marked in PAST_EVENTS:
        starts = w.ago(days, 10, 30)
        plan = EventPlan(
            title=title,
            description=f"{title} for residents: all welcome.",
            place=place,
            starts_at=starts,
            ends_at=starts + timedelta(hours=2),
            neighbourhood_ids=(w.areas[area].id,) if area else (),
            capacity=capacity,
            max_party=3,
        )
        published = starts - timedelta(days=21)
        event = await publish_event(s, plan, staff, now=published)
        people = _invitees(w, published, area, 6 + days % 4)
        for number, resident in enumerate(people):
            asked = published + timedelta(days=1 + number, hours=number)
            booking = (await sign_up(s, resident, event.id, 1 + number % 3, now=asked)).booking
            booking.created_at = booking.updated_at = asked
        await _attendance(w, event, staff_marked, len(people))
    upcoming = (await s.scalars(select(Event).where(Event.starts_at > w.now))).all()
    for event in upcoming:
        area = event.neighbourhoods[0].code if event.neighbourhoods else None
        wanted = 1 if event.capacity is not None and event.capacity <= 3 else 4
        for resident in _invitees(w, w.now - timedelta(days=1), area, wanted):
            asked = w.now - timedelta(hours=2)
            booking = (await sign_up(s, resident, event.id, 1, now=asked)).booking
            booking.created_at = booking.updated_at = asked
    return len(PAST_EVENTS)


def _invitees(w: _Writer, before: datetime, area: str | None, count: int) -> list[Resident]:
    """Distinct residents who could book an event in ``area`` (None: anyone)."""
    joined = [
        r
        for r, since in w.residents
        if since < before and (area is None or r.neighbourhood_id == w.areas[area].id)
    ]
    return w.rng.sample(joined, min(count, len(joined)))


async def _attendance(w: _Writer, event: Event, staff_marked: bool, parties: int) -> None:
    """Who came (marked by staff, or each resident's own answer) and their ratings."""
    s = w.session
    bookings = (
        await s.execute(
            select(EventBooking.id, EventBooking.resident_id)
            .where(EventBooking.event_id == event.id, EventBooking.status == "booked")
            .order_by(EventBooking.id)
        )
    ).all()
    after = event.ends_at + timedelta(hours=2)
    came = 0
    for number, (booking_id, resident_id) in enumerate(bookings):
        went = number % 6 != 5
        resident = await s.get(Resident, resident_id)
        assert resident is not None
        if staff_marked:
            await set_attendance(s, event.id, booking_id, went, w.officer, now=after)
        if not went:
            await record_went(s, resident, booking_id, False, now=after)
            continue
        came += 1
        await record_rating(s, resident, booking_id, 3 + (number + event.id) % 3, now=after)
    if staff_marked:
        closed = after + timedelta(hours=1)
        await close_event(s, event.id, came + parties // 2, SAID["closing"], w.officer, now=closed)


# ----- announcements -----------------------------------------------------------------------------


async def _announcements(w: _Writer) -> int:
    """Announcements sent over the year (their messages delivered), and one scheduled."""
    s = w.session
    for days, text, area in ANNOUNCEMENTS:
        sent_at = w.ago(days, 11)
        audience = Audience(neighbourhood_ids=(w.areas[area].id,) if area else ())
        row = await save_draft(s, Plan(text, None, audience, urgent=False), w.officer.id)
        row.created_at = row.updated_at = sent_at
        await confirm_announcement(s, row.id, w.officer, now=sent_at, quiet_hours=None, tz=w.tz)
    later = datetime.combine(
        w.now.astimezone(w.tz).date() + timedelta(days=5), time(10), w.tz
    ).astimezone(UTC)
    plan = Plan(SAID["reminder"], None, Audience(), urgent=False, send_at=later)
    row = await save_draft(s, plan, w.officer.id)
    await confirm_announcement(s, row.id, w.officer, now=w.ago(0, 9), quiet_hours=None, tz=w.tz)
    return len(ANNOUNCEMENTS) + 1


async def _delivered(w: _Writer) -> None:
    """Every message the history queued went out when it was due: marked sent then.

    One ``UPDATE``; anything still held past ``now`` (quiet hours) stays queued and goes
    out for real."""
    await w.session.execute(
        update(Delivery)
        .where(Delivery.status == "queued", Delivery.not_before <= w.now)
        .values(status="sent", sent_at=Delivery.not_before, attempts=1)
        .execution_options(synchronize_session=False)
    )
    await settle_broadcasts(w.session)


# ----- all of it ---------------------------------------------------------------------------------


async def seed_history(
    session: AsyncSession,
    settings: Settings,
    *,
    now: datetime,
    areas: dict[str, Neighbourhood],
    officer: StaffMember,
    colleague: StaffMember,
) -> HistorySummary:
    """Write a year of history ending at ``now`` (in the caller's transaction)."""
    w = _Writer(
        session=session,
        notices=StaffNotices.from_settings(settings),
        now=now,
        officer=officer,
        colleague=colleague,
        areas=areas,
    )
    await _add_residents(w)
    await _everyday_reports(w)
    await _complaints(w)
    await _more_complaints(w)
    await _hazards(w)
    events = await _events(w)
    announcements = await _announcements(w)
    await seed_community(session, settings, now=now, residents=w.residents, staff=officer)
    survey = await seed_survey(session, settings, now=now, residents=w.residents, areas=areas)
    await _delivered(w)
    return HistorySummary(len(w.residents), w.reports, events, announcements, survey)


def resident_ids() -> Sequence[tuple[int, str]]:
    """The seeded residents' Telegram ids and first names, for the sandbox to know."""
    return [
        (RESIDENT_ID_BASE + number, name.split()[0])
        for number, (name, _, _) in enumerate(RESIDENTS, start=1)
    ]
