"""This reporting year's TSM perception survey in ``doorstep demo``'s history, so that the
dashboard's survey pages show a year under way (called by ``bot.demo_history``).

An LCRA census opened about two months before ``now`` by the demo admin; about three in five
of the residents invited have answered (most to the end, a few stopped part-way), a few
said "Not now", two residents share a tenancy and only the first of them was counted; the
rest were reminded twice and said nothing. Answers vary the way a small association's
might: about 70% satisfied overall, fewer with repairs, the filter questions answered from
the residents' own history (a repair or a complaint reported in the year before).

Everything goes through the survey's services (``invitations.open_year`` and
``send_reminders``, ``answering.start``, ``answer`` and ``decline``) and the staff's
tenancy form (``residents.service.set_tenancy``), each given the moment it happened, in
the order it happened, so one response per household, the filters and the reminders' rules
hold as they do for real (docs/regulation-tsm.md §9 items 5, 8, 10 and 19). Written by
hand: the tenancy change's audit time (its service stamps the wall clock), and, while the
year is opened, no ``onboarded_at`` for residents who joined after it (put back at once),
so they are not invited, as they would not have been then. The outbox rows these services
queue are marked sent by ``demo_history._delivered`` like every other historical message:
the sandbox is sent no invitation or reminder at start, and none is left due.

Deterministic: its own ``random.Random`` with a seed; the filter answers follow the
residents' reports in the history.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.association.service import effective_settings
from bot.config import Settings
from bot.models import AuditEntry, Feedback, Neighbourhood, Resident, SurveyInvitation, SurveyYear
from bot.residents.service import set_tenancy
from bot.survey import answering, invitations, progress
from bot.survey.answering import HouseholdAlreadyAnswered
from bot.survey.jobs import REMINDER_HOUR, REMINDER_MINUTE
from bot.survey.questions import SCALE_OPTIONS, Answer, Question

# The survey's own generator's seed, kept as the year's (a census draws nothing with it).
SURVEY_SEED = 4026
# Opened this many days before now (on a weekday morning), or on the reporting year's first
# day when that is later, so that the survey is this reporting year's.
OPENED_DAYS_AGO = 61
# The nominal fieldwork: the answers' days after the opening; squeezed into the time there
# is when the reporting year began less than this long ago.
FIELDWORK_DAYS = 56
# Two residents of Riverside Estate (``demo_story.RESIDENTS`` indexes) sharing a tenancy.
HOUSEHOLD = (0, 5)
HOUSEHOLD_REF = "RIV/0142"
# Shares of those invited: responses (TP01 answered), of them stopped part-way; declined.
RESPONDED = 0.6
PARTIAL = 0.08
DECLINED = 0.08
# TP01: satisfied (very or fairly), then how the rest split.
OVERALL_SATISFIED = 0.7
SATISFIED = (Answer.VERY_SATISFIED, Answer.FAIRLY_SATISFIED)
OVERALL_NOT = (Answer.NEITHER, Answer.FAIRLY_DISSATISFIED, Answer.VERY_DISSATISFIED)
# Each other measure's share satisfied among the residents satisfied overall and among the
# rest: repairs (TP02, TP03) and complaints (TP09) lower than the others.
LEANING: Mapping[str, tuple[float, float]] = {
    "TP02": (0.62, 0.1),
    "TP03": (0.55, 0.1),
    "TP04": (0.85, 0.3),
    "TP05": (0.9, 0.45),
    "TP06": (0.78, 0.2),
    "TP07": (0.85, 0.3),
    "TP08": (0.9, 0.45),
    "TP09": (0.5, 0.05),
    "TP10": (0.75, 0.25),
    "TP11": (0.82, 0.3),
    "TP12": (0.75, 0.2),
}
# An unprompted "rather not say" to a measure after TP01 (docs/regulation-tsm.md §9 item 4).
NO_ANSWER = 0.03
# Repairs reported by phone rather than on Doorstep: a "yes" to F_REPAIR without a report.
REPAIR_BY_PHONE = 0.45
# Living in a block with communal areas, by neighbourhood code (the rest: none).
COMMUNAL: Mapping[str, float] = {"riverside": 1.0, "castle-view": 1.0, "oakfield": 0.4}
REPAIR_CATEGORIES = ("repairs", "damp_mould")
# When the answers came (days after the opening): most in the first week, more after each
# reminder (days 7 and 14), a few weeks later; the respondents take them in this order.
WAVES = {"1": (0, 6.9), "2": (7, 13.9), "3": (21, FIELDWORK_DAYS - 1)}
WAVE_ORDER = "11213121121311213121"  # 11, 6 and 3 in 20
YEAR = timedelta(days=365)


@dataclass(frozen=True)
class SurveySummary:
    """What the seeded survey year holds, as its dashboard page counts it."""

    year_id: int
    invited: int
    responded: int  # TP01 answered (docs/regulation-tsm.md §9 item 7)
    completed: int
    declined: int
    refused: int


@dataclass
class _Respondent:
    """One resident who answers: TP01's answer, where they live, and how far they get."""

    invitation: SurveyInvitation
    overall: Answer
    communal: bool
    stop_after: int | None  # answers given before stopping; None: to the end
    content: Mapping[str, bool]  # satisfied with each other measure, if asked


@dataclass
class _Run:
    """One seeding of the survey: the clock, the generator and the residents' history."""

    session: AsyncSession
    settings: Settings
    now: datetime
    opened: datetime
    rng: random.Random
    repairs: dict[int, list[datetime]]
    complaints: dict[int, list[datetime]]

    @property
    def tz(self) -> ZoneInfo:
        return self.settings.tz

    def later(self, days: float, hour: int, minute: int) -> datetime:
        """Local ``hour:minute`` on the day ``days`` after the opening (after the opening,
        squeezed into the time there is, and before now)."""
        day = self.opened.astimezone(self.tz).date() + timedelta(days=int(days))
        moment = datetime.combine(day, time(hour, minute), self.tz).astimezone(UTC)
        if moment <= self.opened:
            moment = self.opened + timedelta(minutes=20 + 7 * minute)
        room = self.now - self.opened - timedelta(hours=1)
        scale = max(0.0, min(1.0, room / timedelta(days=FIELDWORK_DAYS)))
        return min(self.opened + (moment - self.opened) * scale, self.now - timedelta(minutes=1))

    def daytime(self, first_day: float, last_day: float) -> datetime:
        """A random moment in the day (8:00 to 21:59) between two days after the opening."""
        days = self.rng.uniform(first_day, last_day)
        return self.later(days, self.rng.randint(8, 21), self.rng.randint(0, 59))

    def had(self, reported: Mapping[int, list[datetime]], resident_id: int, at: datetime) -> bool:
        """Whether the resident reported one of these in the year before ``at``."""
        return any(at - YEAR <= moment <= at for moment in reported.get(resident_id, []))


def _opening(now: datetime, tz: ZoneInfo) -> datetime:
    """About two months ago on a weekday at 10:00, within this reporting year."""
    day = now.astimezone(tz).date() - timedelta(days=OPENED_DAYS_AGO)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    first = answering.reporting_year_of(now, tz)
    moment = datetime.combine(max(day, first), time(10), tz).astimezone(UTC)
    return min(moment, now - timedelta(minutes=5))


async def seed_survey(
    session: AsyncSession,
    settings: Settings,
    *,
    now: datetime,
    residents: Sequence[tuple[Resident, datetime]],
    areas: Mapping[str, Neighbourhood],
) -> SurveySummary:
    """This reporting year's LCRA census, opened about two months before ``now``, with its
    invitations, reminders and answers (``residents``: the history's, in ``RESIDENTS``
    order, each with when they joined). Run after the reports and before the history's
    messages are marked sent."""
    # Imported here: bot.demo imports the history, which imports this module.
    from bot.demo import DEMO_ADMIN, DEMO_ASSOCIATION

    if "association_name" not in settings.model_fields_set:
        settings = settings.model_copy(update={"association_name": DEMO_ASSOCIATION})
    in_force = await effective_settings(session, settings)
    opened = _opening(now, in_force.tz)
    actor = f"web:{DEMO_ADMIN}"  # bot.audit.user_actor of the demo admin's login
    await _share_a_tenancy(session, [residents[i][0] for i in HOUSEHOLD], actor, opened)
    # Who had joined by the opening: those who came later were not in scope then.
    newcomers = [r for r, joined in residents if joined > opened or r.onboarded_at is None]
    onboarded = {resident.id: resident.onboarded_at for resident in newcomers}
    for resident in newcomers:
        resident.onboarded_at = None
    await session.flush()
    year = await invitations.open_year(
        session,
        tenure="lcra",
        method="census",
        homes=in_force.homes or len(residents),
        opened_by=actor,
        now=opened,
        settings=in_force,
        seed=SURVEY_SEED,
    )
    for resident in newcomers:
        resident.onboarded_at = onboarded[resident.id]
    await session.flush()
    run = _Run(
        session,
        in_force,
        now,
        opened,
        random.Random(SURVEY_SEED),  # noqa: S311 - made-up data
        await _reported(session, Feedback.category.in_(REPAIR_CATEGORIES)),
        await _reported(session, Feedback.is_complaint.is_(True)),
    )
    codes = {area.id: code for code, area in areas.items()}
    timeline = await _plan(run, year, codes)
    timeline.sort(key=lambda step: step[0])
    for _, act in timeline:
        await act()
    return await _summary(session, year)


async def _share_a_tenancy(
    session: AsyncSession, pair: Sequence[Resident], actor: str, opened: datetime
) -> None:
    """Two residents given one tenancy reference on the residents page, a month before the
    survey opened (the audit line's time is corrected: the service stamps the wall clock)."""
    for resident in pair:
        await set_tenancy(session, resident, tenure=None, household_ref=HOUSEHOLD_REF, actor=actor)
    await session.execute(
        update(AuditEntry)
        .where(
            AuditEntry.action == "resident.tenancy_changed",
            AuditEntry.subject_id.in_([str(resident.id) for resident in pair]),
        )
        .values(at=opened - timedelta(days=30))
        .execution_options(synchronize_session=False)
    )


async def _reported(session: AsyncSession, kind: ColumnElement[bool]) -> dict[int, list[datetime]]:
    """When each resident reported something of a kind, by resident id."""
    rows = await session.execute(select(Feedback.resident_id, Feedback.received_at).where(kind))
    found: dict[int, list[datetime]] = {}
    for resident_id, received in rows:
        if resident_id is not None:
            found.setdefault(resident_id, []).append(received)
    return found


# One thing done at its moment: the timeline runs them in order.
Act = Callable[[], Awaitable[None]]
Step = tuple[datetime, Act]


async def _plan(run: _Run, year: SurveyYear, codes: Mapping[int, str]) -> list[Step]:
    """Who does what, and when: the answers, the "Not now"s, the household's refusal and
    the daily reminder job, each a step at its moment."""
    invited = list(
        await run.session.scalars(
            select(SurveyInvitation)
            .where(SurveyInvitation.survey_year_id == year.id)
            .order_by(SurveyInvitation.id)
        )
    )
    households: dict[str, list[SurveyInvitation]] = {}
    for invitation in invited:
        households.setdefault(invitation.household_key, []).append(invitation)
    shared = [members for members in households.values() if len(members) > 1]
    housemates = [one for members in shared for one in members[1:]]
    first_of_household = [members[0] for members in shared]
    others = [i for i in invited if i not in housemates and i not in first_of_household]
    run.rng.shuffle(others)
    responding = round(RESPONDED * len(invited))
    partial = max(1, round(PARTIAL * len(invited)))
    declining = max(1, round(DECLINED * len(invited)))
    answering_ = (first_of_household + others)[:responding]
    decliners = others[responding - len(first_of_household) :][:declining]
    overall = _overall(run.rng, len(answering_))
    content = _content(run.rng, overall)
    steps: list[Step] = []
    for number, invitation in enumerate(answering_):
        stops = number >= len(answering_) - partial
        area = codes.get(invitation.neighbourhood_id or 0, "")
        who = _Respondent(
            invitation,
            overall[number],
            run.rng.random() < COMMUNAL.get(area, 0.0),
            run.rng.randint(2, 6) if stops else None,
            {code: shares[number] for code, shares in content.items()},
        )
        if invitation in first_of_household:  # answered in the first days
            at = run.daytime(0, 4)
        else:
            at = run.daytime(*WAVES[WAVE_ORDER[number % len(WAVE_ORDER)]])
        steps.append((at, _answers(run, who, at)))
    for invitation in decliners:
        at = run.daytime(0, 2.9) if run.rng.random() < 0.6 else run.later(7, 11, 5)
        steps.append((at, _declines(run, invitation, at)))
    for invitation in housemates:  # pressed Start on the invitation after the household had
        at = run.later(6, 19, 30)
        steps.append((at, _refused(run, invitation, at)))
    first = run.opened.astimezone(run.tz).date()
    for day in range(1, OPENED_DAYS_AGO + 8):  # the daily job, at its hour (bot.survey.jobs)
        hour = time(REMINDER_HOUR, REMINDER_MINUTE)
        job = datetime.combine(first + timedelta(days=day), hour, run.tz).astimezone(UTC)
        if job >= run.now:
            break
        steps.append((job, _reminds(run, job)))
    return steps


def _overall(rng: random.Random, count: int) -> list[Answer]:
    """TP01's answers: ``OVERALL_SATISFIED`` of them satisfied (about two in five of those
    very), the rest spread over the other three points; in a random order."""
    satisfied = round(OVERALL_SATISFIED * count)
    very = round(0.4 * satisfied)
    found = [Answer.VERY_SATISFIED] * very + [Answer.FAIRLY_SATISFIED] * (satisfied - very)
    found += [OVERALL_NOT[number % len(OVERALL_NOT)] for number in range(count - satisfied)]
    rng.shuffle(found)
    return found


def _content(rng: random.Random, overall: Sequence[Answer]) -> dict[str, list[bool]]:
    """Whether each respondent (by position) is satisfied with each measure after TP01:
    ``LEANING``'s shares exactly, in each of the satisfied-overall and the rest, shuffled
    (so that a few residents cannot make the figures stray far from them)."""
    found: dict[str, list[bool]] = {}
    groups = [
        [n for n, answer in enumerate(overall) if (answer in SATISFIED) is pleased]
        for pleased in (True, False)
    ]
    for code, shares in LEANING.items():
        content = [False] * len(overall)
        for group, share in zip(groups, shares, strict=True):
            for n in rng.sample(group, round(share * len(group))):
                content[n] = True
        found[code] = content
    return found


def _answers(run: _Run, who: _Respondent, at: datetime) -> Act:
    async def act() -> None:
        asked = await answering.start(run.session, who.invitation, now=at)
        given: dict[str, Answer] = {}
        moment = at
        while asked is not None and (who.stop_after is None or len(given) < who.stop_after):
            moment = min(moment + timedelta(seconds=run.rng.randint(12, 50)), run.now)
            value = _pick(run, who, asked, moment)
            given[asked.code] = value
            asked = await answering.answer(
                run.session, who.invitation, asked.code, value, now=moment
            )

    return act


def _pick(run: _Run, who: _Respondent, question: Question, at: datetime) -> Answer:
    """The resident's answer: the filters from their own history, the measures leaning
    with how satisfied they are overall."""
    resident_id = who.invitation.resident_id or 0
    if question.code == "TP01":
        return who.overall
    if question.code == "F_REPAIR":
        yes = run.had(run.repairs, resident_id, at) or run.rng.random() < REPAIR_BY_PHONE
        return Answer.YES if yes else Answer.NO
    if question.code == "F_COMPLAINT":
        return Answer.YES if run.had(run.complaints, resident_id, at) else Answer.NO
    if question.code == "F_COMMUNAL":
        return Answer.YES if who.communal else Answer.NO
    if run.rng.random() < NO_ANSWER:
        return Answer.NO_ANSWER
    pleased = who.overall in SATISFIED
    scale = SCALE_OPTIONS[question.scale]
    if who.content[question.code]:
        return scale[0] if run.rng.random() < 0.4 else scale[1]
    weights = (5, 3, 2) if pleased else (3, 4, 3)
    return run.rng.choices(scale[2:], weights=weights)[0]


def _declines(run: _Run, invitation: SurveyInvitation, at: datetime) -> Act:
    async def act() -> None:
        await answering.decline(run.session, invitation, now=at)

    return act


def _refused(run: _Run, invitation: SurveyInvitation, at: datetime) -> Act:
    async def act() -> None:
        try:
            await answering.start(run.session, invitation, now=at)
        except HouseholdAlreadyAnswered:
            return  # refused_at is recorded: what the Telegram shell shows and keeps
        raise AssertionError("the household's first response should have been started")

    return act


def _reminds(run: _Run, at: datetime) -> Act:
    async def act() -> None:
        await invitations.send_reminders(run.session, now=at, settings=run.settings)

    return act


async def _summary(session: AsyncSession, year: SurveyYear) -> SurveySummary:
    rows = list(
        await session.scalars(
            select(SurveyInvitation).where(SurveyInvitation.survey_year_id == year.id)
        )
    )
    return SurveySummary(
        year_id=year.id,
        invited=len(rows),
        responded=len(await progress.responses(session, year)),
        completed=sum(1 for row in rows if row.completed_at is not None),
        declined=sum(1 for row in rows if row.declined_at is not None),
        refused=sum(1 for row in rows if row.refused_at is not None),
    )
