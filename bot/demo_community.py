"""The community side of ``doorstep demo``'s year (``bot.demo_history`` calls it): residents'
ideas, the community chest, volunteering at events, polls, neighbours backing a shared
problem, and residents' answers to "how satisfied are you with how it was handled?".

Without it the ideas, chest, polls and volunteering pages open empty and the report's
satisfaction trend says "none" every month. As with the rest of the history, everything
goes through the services residents and staff use, each given the moment it happened, so
rows, audit and queued messages are what those services write (``demo_history`` then marks
the messages sent when they were due). Staff actions are the demo admin's, named in the
audit as a dashboard login is. The words are in ``bot.demo_story``; all fictional.

Deterministic: the same ``now`` and residents give the same rows (no random numbers: every
choice is by position).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.chest import proposals as chest_proposals
from bot.chest import results as chest_results
from bot.chest import voting as chest_voting
from bot.chest.rounds import Moments, open_round
from bot.config import Settings
from bot.demo_story import (
    CHEST_AREAS,
    CHEST_BUDGET,
    CHEST_NEW_PROJECTS,
    CHEST_PROJECTS,
    IDEAS,
    POLLS,
    SATISFACTION_ANSWERS,
    SATISFACTION_COMMENTS,
    VOLUNTEER_HOURS,
    VOLUNTEER_ROLES,
)
from bot.events import volunteering
from bot.events.notices import Notices
from bot.events.places import is_for
from bot.feedback import backing, satisfaction
from bot.ideas import answering, checking, proposing
from bot.ideas import backing as idea_backing
from bot.models import (
    CaseSatisfaction,
    Event,
    Feedback,
    Neighbourhood,
    PollOption,
    Resident,
    StaffMember,
)
from bot.models.idea import ANSWERS, APPROVED, DECLINED, PENDING
from bot.polls import creating as polls
from bot.polls import voting as poll_voting

# The demo admin (``bot.demo.DEMO_ADMIN``), as the audit names a dashboard login.
ACTOR = "web:demo-admin"


@dataclass(frozen=True)
class CommunitySummary:
    """What was written, for a glance (and the tests)."""

    ideas: int
    chest_projects: int
    volunteers: int
    polls: int
    backers: int
    satisfaction_answers: int


@dataclass
class _Scene:
    session: AsyncSession
    settings: Settings
    now: datetime
    residents: Sequence[tuple[Resident, datetime]]
    staff: StaffMember
    areas: dict[str, int]

    def at(self, days: float, hour: int = 10, minute: int = 0) -> datetime:
        """Local ``hour:minute`` on the day ``days`` before now (after it, if negative),
        never later than now unless asked for the future."""
        tz = self.settings.tz
        day = self.now.astimezone(tz).date() - timedelta(days=int(days))
        moment = datetime.combine(day, time(hour, minute), tz).astimezone(UTC)
        return moment if days < 0 else min(moment, self.now - timedelta(minutes=5))

    def neighbours(
        self, before: datetime, area_ids: Collection[int] = (), *, skip: int = 0
    ) -> list[Resident]:
        """Residents who had joined by ``before`` (in the areas, when given), in id order
        turned by ``skip`` so that the same few are not always the ones."""
        found = [
            r
            for r, since in self.residents
            if since < before and (not area_ids or r.neighbourhood_id in area_ids)
        ]
        turn = skip % len(found) if found else 0
        return found[turn:] + found[:turn]


async def seed_community(
    session: AsyncSession,
    settings: Settings,
    *,
    now: datetime,
    residents: Sequence[tuple[Resident, datetime]],
    staff: StaffMember,
) -> CommunitySummary:
    """Write the year's community life ending at ``now`` (in the caller's transaction)."""
    areas = {n.code: n.id for n in await session.scalars(select(Neighbourhood))}
    scene = _Scene(session, settings, now, residents, staff, areas)
    ideas = await _ideas(scene)
    projects = await _chest(scene)
    volunteers = await _volunteering(scene)
    asked = await _polls(scene)
    backers = await _backers(scene)
    answers = await _satisfaction(scene)
    return CommunitySummary(ideas, projects, volunteers, asked, backers, answers)


# ----- ideas -------------------------------------------------------------------------------------


async def _ideas(scene: _Scene) -> int:
    """Ideas in every state: waiting for a check, declined with a reason, shown and backed,
    and answered (under consideration, going ahead, not this time) with reasons."""
    s, settings = scene.session, scene.settings
    for number, (area, days, title, body, state, reason, backed) in enumerate(IDEAS):
        proposed = scene.at(days, 9 + number % 9, 15)
        proposer = scene.neighbours(proposed, [scene.areas[area]], skip=number)[0]
        idea = await proposing.propose(
            s,
            proposer,
            title=title,
            body=body,
            photo_file_id=None,
            shares_name=number % 3 != 0,
            now=proposed,
        )
        if state == PENDING:
            continue
        checked = min(proposed + timedelta(days=1, hours=2), scene.now - timedelta(minutes=3))
        if state == DECLINED:
            await checking.decline(s, idea.id, reason, actor=ACTOR, settings=settings, now=checked)
            continue
        await checking.approve(s, idea.id, actor=ACTOR, settings=settings, now=checked)
        others = scene.neighbours(checked, [scene.areas[area]], skip=number + 1)
        for turn, neighbour in enumerate([r for r in others if r.id != proposer.id][:backed]):
            when = checked + timedelta(days=1 + 2 * turn, hours=turn)
            await idea_backing.back(s, idea.id, neighbour, now=min(when, scene.now))
        if state != APPROVED:
            assert state in ANSWERS
            answered = checked + timedelta(days=min(days // 3, 30))
            await answering.answer(
                s, idea.id, state, reason, actor=ACTOR, settings=settings, now=answered
            )
    return len(IDEAS)


# ----- the community chest -----------------------------------------------------------------------


async def _chest(scene: _Scene) -> int:
    """A round decided in the spring (proposals, a shortlist with reasons, votes, results
    confirmed with one project skipped for budget) and one taking proposals now."""
    s, settings = scene.session, scene.settings
    spring, winter = ([scene.areas[code] for code in codes] for codes in CHEST_AREAS)
    opened = scene.at(215, 9, 30)
    moments = Moments(opened, scene.at(185, 17), scene.at(175, 9), scene.at(160, 21))
    decided = await open_round(
        s,
        name="Community chest: spring round",
        budget_pence=CHEST_BUDGET,
        neighbourhood_ids=spring,
        moments=moments,
        created_by=ACTOR,
        now=opened,
    )
    projects = []
    for number, (title, purpose, cost, _s, _r, _v) in enumerate(CHEST_PROJECTS):
        when = opened + timedelta(days=2 + 4 * number, hours=number)
        proposer = scene.neighbours(when, spring, skip=3 * number)[0]
        projects.append(
            await chest_proposals.propose(
                s, decided.id, proposer, title=title, purpose=purpose, cost_pence=cost, now=when
            )
        )
    shortlisting = scene.at(182, 11)
    for project, (_t, _p, _c, shortlisted, reason, _v) in zip(
        projects, CHEST_PROJECTS, strict=True
    ):
        await chest_proposals.decide(
            s,
            project,
            shortlisted=shortlisted,
            reason=reason,
            actor=ACTOR,
            settings=settings,
            now=shortlisting,
        )
    voters = scene.neighbours(moments.voting_open_at, spring)
    for number, voter in enumerate(voters[: max(v for *_, v in CHEST_PROJECTS)]):
        approved = [p.id for p, (*_, v) in zip(projects, CHEST_PROJECTS, strict=True) if number < v]
        when = moments.voting_open_at + timedelta(days=number % 12, hours=number % 9)
        await chest_voting.vote(s, decided.id, voter, approved, now=when)
    await chest_results.confirm(s, decided, actor=ACTOR, settings=settings, now=scene.at(157, 11))
    # This winter's round: taking proposals until next week, then a vote.
    opened = scene.at(9, 9, 30)
    moments = Moments(opened, scene.at(-12, 17), scene.at(-16, 9), scene.at(-30, 21))
    taking = await open_round(
        s,
        name="Community chest: winter round",
        budget_pence=250_000,
        neighbourhood_ids=winter,
        moments=moments,
        created_by=ACTOR,
        now=opened,
    )
    for number, (title, purpose, cost) in enumerate(CHEST_NEW_PROJECTS):
        when = opened + timedelta(days=1 + 2 * number, hours=2 + number)
        proposer = scene.neighbours(when, winter, skip=5 + 4 * number)[0]
        await chest_proposals.propose(
            s, taking.id, proposer, title=title, purpose=purpose, cost_pence=cost, now=when
        )
    return len(CHEST_PROJECTS) + len(CHEST_NEW_PROJECTS)


# ----- volunteering ------------------------------------------------------------------------------


async def _volunteering(scene: _Scene) -> int:
    """Roles with places at past and coming events, neighbours in them, and, after the past
    ones, the hours each gave (staff record them; the volunteer is thanked)."""
    s = scene.session
    notices = Notices.of(scene.settings)
    taken = 0
    for title, roles in VOLUNTEER_ROLES:
        event = await s.scalar(
            select(Event).where(Event.title == title).order_by(Event.starts_at.desc()).limit(1)
        )
        if event is None:
            continue
        # Roles a couple of hours after it was published (the coming ones were just now).
        set_at = min(event.created_at + timedelta(hours=2), scene.now)
        specs = [volunteering.RoleSpec(None, name, places) for name, places in roles]
        await volunteering.set_roles(s, event.id, specs, scene.staff, now=set_at)
        people = [r for r in scene.neighbours(set_at, skip=event.id) if await is_for(event, r)]
        lines = await volunteering.roles_of(s, event.id)
        for line in lines:
            for _ in range(min(2, line.role.places)):
                if not people:
                    break
                when = min(set_at + timedelta(hours=3 + (5 * taken) % 60), scene.now)
                await volunteering.volunteer(s, people.pop(0), event.id, line.role.id, now=when)
                taken += 1
        if event.ends_at < scene.now - timedelta(days=1):
            recorded = event.ends_at + timedelta(days=1)
            for number, given in enumerate(await volunteering.volunteers_of(s, event.id)):
                hours = VOLUNTEER_HOURS[number % len(VOLUNTEER_HOURS)]
                await volunteering.record_hours(
                    s, event.id, given.volunteer.id, hours, scene.staff, notices, now=recorded
                )
    return taken


# ----- polls -------------------------------------------------------------------------------------


async def _polls(scene: _Scene) -> int:
    """A poll that closed in the summer, with its votes, and one open now."""
    s, settings = scene.session, scene.settings
    for question, answers, several, codes, days, runs, voters in POLLS:
        areas = [scene.areas[code] for code in codes]
        sent = scene.at(days, 11)
        poll = await polls.create(
            s,
            question=question,
            options=answers,
            several=several,
            neighbourhood_ids=areas,
            closes_at=sent + timedelta(days=runs),
            created_by=ACTOR,
            now=sent - timedelta(hours=1),
        )
        await polls.send(s, poll, actor=ACTOR, settings=settings, now=sent)
        options = list(
            await s.scalars(
                select(PollOption.id)
                .where(PollOption.poll_id == poll.id)
                .order_by(PollOption.position)
            )
        )
        people = scene.neighbours(sent, areas, skip=days)[:voters]
        for number, voter in enumerate(people):
            first = options[number % len(options)]
            chosen = (
                [first, options[(number + 1) % len(options)]] if several and number % 3 else [first]
            )
            when = min(sent + timedelta(hours=2 + 7 * number), scene.now - timedelta(minutes=10))
            await poll_voting.vote(s, poll.id, voter, chosen, now=when)
    return len(POLLS)


# ----- "me too" on a shared problem --------------------------------------------------------------


async def _backers(scene: _Scene) -> int:
    """Neighbours saying "me too" to the open reports about shared places."""
    s = scene.session
    reports = await s.scalars(
        select(Feedback).where(backing.communal(), Feedback.status == "new").order_by(Feedback.id)
    )
    count = 0
    for report in list(reports):
        neighbours = scene.neighbours(
            report.received_at, [report.neighbourhood_id or 0], skip=report.id
        )
        for turn, neighbour in enumerate([r for r in neighbours if r.id != report.resident_id][:3]):
            when = min(report.received_at + timedelta(hours=3 + 6 * turn), scene.now)
            await backing.back_report(s, neighbour, report.id, now=when)
            count += 1
    return count


# ----- case satisfaction -------------------------------------------------------------------------


async def _satisfaction(scene: _Scene) -> int:
    """Residents answering "how satisfied are you with how it was handled?" a few hours
    after the question (most answer; the last day's questions still wait). An
    escalated complaint's resident was not satisfied."""
    s = scene.session
    rows = await s.execute(
        select(CaseSatisfaction, Feedback.complaint_stage)
        .join(Feedback, Feedback.id == CaseSatisfaction.feedback_id)
        .where(
            CaseSatisfaction.rating.is_(None),
            CaseSatisfaction.asked_at < scene.now - timedelta(days=1),
        )
        .order_by(CaseSatisfaction.id)
    )
    answered = 0
    for number, (row, stage) in enumerate(rows.all()):
        resident = await s.get(Resident, row.resident_id) if row.resident_id else None
        if resident is None or number % 15 == 14:
            continue
        rating = (
            satisfaction.FAIRLY_DISSATISFIED
            if stage == 2
            else SATISFACTION_ANSWERS[number % len(SATISFACTION_ANSWERS)]
        )
        when = row.asked_at + timedelta(hours=3, minutes=number % 50)
        await satisfaction.answer(s, resident, row.feedback_id, rating, when)
        if number % 7 == 0:
            comment = SATISFACTION_COMMENTS[number % len(SATISFACTION_COMMENTS)]
            await satisfaction.add_comment(s, resident, row.feedback_id, comment)
        answered += 1
    return answered
