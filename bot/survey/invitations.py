"""Inviting residents to the TSM perception survey: who is in scope, opening and closing a
year, the invitation and the reminders.

Opening a year (per reporting year and tenure) invites the residents in scope through the
outbox: all of them (census) or a stratified random draw by neighbourhood (sample).
Rules: docs/regulation-tsm.md §4 (scope, households, tenure) and §9.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, exists, func, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.audit import record_action
from bot.config import Settings
from bot.delivery.outbox import Button, Priority, QuietHours, Urgency, anywhere_data, enqueue
from bot.delivery.outbox import payload as outbox_payload
from bot.errors import DomainError, InvalidInput
from bot.i18n import N_, Gettext, gettext_for
from bot.models import Neighbourhood, Resident, SurveyInvitation, SurveyYear
from bot.models.survey import CLOSED, METHODS, OPEN, TENURES
from bot.residents.service import DEFAULT_TENURE
from bot.survey.answering import household_key, reporting_year_of
from bot.survey.sampling import allocate, draw, required_sample
from bot.survey.steps import SurveyPress

log = logging.getLogger(__name__)

INVITE_KIND = "survey_invite"
REMINDER_KIND = "survey_reminder"
# docs/regulation-tsm.md §9 item 19: invitations and up to two reminders, through the
# outbox (not urgent, quiet hours kept); a week apart (Doorstep's choice).
MAX_REMINDERS = 2
REMINDER_GAP = timedelta(days=7)
# allocate() and draw() take int strata: residents without a neighbourhood are stratum 0
# (neighbourhood ids start at 1).
NO_NEIGHBOURHOOD = 0


# ----- who is in scope -----------------------------------------------------------------------


def _in_scope(tenure: str) -> list[ColumnElement[bool]]:
    """SQL conditions (residents outer-joined to neighbourhoods): who a survey of
    ``tenure`` is for. Consented, onboarded, reachable, not forgotten, of that tenure."""
    return [
        Resident.consented_at.is_not(None),
        Resident.onboarded_at.is_not(None),
        Resident.active.is_(True),
        Resident.forgotten_at.is_(None),
        Resident.chat_id.is_not(None),
        func.coalesce(Resident.tenure, Neighbourhood.tenure, literal(DEFAULT_TENURE)) == tenure,
    ]


async def residents_in_scope(session: AsyncSession, tenure: str) -> list[Resident]:
    """The residents a survey of ``tenure`` would invite now, by id."""
    rows = await session.scalars(
        select(Resident)
        .outerjoin(Neighbourhood, Neighbourhood.id == Resident.neighbourhood_id)
        .where(*_in_scope(tenure))
        .order_by(Resident.id)
    )
    return list(rows)


async def population_in_scope(session: AsyncSession, tenure: str) -> dict[int | None, int]:
    """How many residents are in scope of ``tenure`` now, by neighbourhood (None: none)."""
    rows = await session.execute(
        select(Resident.neighbourhood_id, func.count())
        .outerjoin(Neighbourhood, Neighbourhood.id == Resident.neighbourhood_id)
        .where(*_in_scope(tenure))
        .group_by(Resident.neighbourhood_id)
    )
    return {area: int(count) for area, count in rows}


# ----- opening a year ------------------------------------------------------------------------


async def open_year(
    session: AsyncSession,
    *,
    tenure: str,
    method: str,
    homes: int,
    opened_by: str,
    now: datetime,
    settings: Settings,
    seed: int | None = None,
) -> SurveyYear:
    """Open this reporting year's survey of ``tenure`` and invite the residents in scope,
    each by one outbox row (``settings``: those in force, for quiet hours and the name).

    A census invites everyone in scope; a sample ``required_sample(homes).n`` of them,
    allocated to neighbourhoods in proportion to the residents in scope there and drawn with
    ``seed``, kept so the draw can be audited (docs/regulation-tsm.md §9 item 13). Refused:
    an unknown tenure or method, no homes, a survey of that tenure this year, nobody in scope.
    """
    if tenure not in TENURES:
        raise InvalidInput(N_("Choose the tenure the survey is for."))
    if method not in METHODS:
        raise InvalidInput(N_("Choose a census or a sample."))
    if homes < 1:
        raise InvalidInput(N_("Enter the number of homes of this tenure."))
    starts_on = reporting_year_of(now, settings.tz)
    already = await session.scalar(
        select(SurveyYear.id).where(SurveyYear.starts_on == starts_on, SurveyYear.tenure == tenure)
    )
    if already is not None:
        raise DomainError(N_("There is already a survey of this tenure for this reporting year."))
    target = required_sample(homes).n
    in_scope = await residents_in_scope(session, tenure)
    if not in_scope:
        raise DomainError(
            N_("No resident of this tenure uses Doorstep yet: there is nobody to invite.")
        )
    seed = secrets.randbelow(2**31) if seed is None else seed
    invited = in_scope if method == "census" else _sample(in_scope, target, seed)
    year = SurveyYear(
        starts_on=starts_on,
        tenure=tenure,
        method=method,
        target=target,
        homes=homes,
        seed=seed,
        opened_at=now,
        opened_by=opened_by,
    )
    session.add(year)
    await session.flush()
    invitations = [
        SurveyInvitation(
            survey_year_id=year.id,
            resident_id=resident.id,
            household_key=household_key(resident),
            neighbourhood_id=resident.neighbourhood_id,
            tenure=tenure,
            invited_at=now,
        )
        for resident in invited
    ]
    session.add_all(invitations)
    await session.flush()
    quiet = QuietHours.of(settings)
    for resident, invitation in zip(invited, invitations, strict=True):
        await _send(session, resident, invitation, settings, quiet, INVITE_KIND, now)
    details = {"tenure": tenure, "method": method, "homes": homes, "target": target}
    details |= {"invited": len(invitations), "seed": seed}
    record_action(session, opened_by, "survey.opened", "survey", year.id, details, now=now)
    log.info("survey year %d opened: %d invited", year.id, len(invitations))
    return year


def _sample(in_scope: Sequence[Resident], target: int, seed: int) -> list[Resident]:
    """A stratified random sample of ``target`` residents (fewer if fewer are in scope)."""
    by_stratum: dict[int, list[int]] = {}
    for resident in in_scope:
        by_stratum.setdefault(resident.neighbourhood_id or NO_NEIGHBOURHOOD, []).append(resident.id)
    allocation = allocate({area: len(ids) for area, ids in by_stratum.items()}, target)
    chosen = set(draw(by_stratum, allocation, seed))
    return [resident for resident in in_scope if resident.id in chosen]


async def close_year(
    session: AsyncSession, year: SurveyYear, *, closed_by: str, now: datetime
) -> None:
    """Close a year: nobody can start or answer it any more, and no reminder goes."""
    if year.status == CLOSED:
        return
    year.status = CLOSED
    year.closed_at = now
    record_action(session, closed_by, "survey.closed", "survey", year.id, now=now)
    await session.flush()


# ----- invitations and reminders -------------------------------------------------------------


def invitation_text(_: Gettext, landlord: str, *, reminder: bool) -> str:
    """What the survey is, that it is voluntary, how the answers are used, how to decline
    (docs/regulation-tsm.md §9 item 20: said before TP01, neutrally)."""
    opening = (
        _("A reminder: {landlord}'s yearly satisfaction survey is still open.")
        if reminder
        else _("{landlord} is running its yearly satisfaction survey.")
    )
    return "\n\n".join(
        [
            opening.format(landlord=landlord),
            _(
                "It asks the Tenant Satisfaction Measures questions every social landlord in "
                "England asks its tenants each year, about your home and our services. It takes "
                "a few minutes, one question at a time, and you can stop and carry on later."
            ),
            _(
                "Taking part is voluntary. Your answers are counted into the satisfaction "
                "figures {landlord} publishes and reports to the Regulator of Social Housing; "
                "you are never named in them. Only one person in each household is asked to "
                "answer."
            ).format(landlord=landlord),
            _(
                'If you would rather not take part, press "Not now" and we won\'t ask you again '
                "this year."
            ),
        ]
    )


def invitation_buttons(_: Gettext, invitation_id: int) -> list[list[Button]]:
    """Start / Not now / How are my answers used? (revision 0: they work at any step)."""
    return [
        [
            Button(_("Start"), anywhere_data(SurveyPress.START, invitation_id)),
            Button(_("Not now"), anywhere_data(SurveyPress.DECLINE, invitation_id)),
        ],
        [Button(_("How are my answers used?"), anywhere_data(SurveyPress.INFO, invitation_id))],
    ]


async def _send(
    session: AsyncSession,
    resident: Resident,
    invitation: SurveyInvitation,
    settings: Settings,
    quiet: QuietHours,
    kind: str,
    now: datetime,
) -> None:
    assert resident.chat_id is not None
    _ = gettext_for(resident.language)
    text = invitation_text(_, settings.association_name, reminder=kind == REMINDER_KIND)
    await enqueue(
        session,
        kind=kind,
        chat_id=resident.chat_id,
        body=outbox_payload(text, buttons=invitation_buttons(_, invitation.id)),
        quiet_hours=quiet,
        urgency=Urgency.ROUTINE,
        priority=Priority.BULK,
        resident_id=resident.id,
        now=now,
    )


async def send_reminders(session: AsyncSession, *, now: datetime, settings: Settings) -> int:
    """Remind the invited who have not started, declined, been refused or finished (nor has
    anyone in their household started), still reachable, in open years: at most two, a week
    after the invitation or the last reminder. Each is claimed by a conditional UPDATE of its
    count, so replicas running the job at once send it once. Returns how many were queued."""
    # Someone else in the household has started.
    other = SurveyInvitation.__table__.alias("other")
    household_started = exists(
        select(other.c.id).where(
            other.c.survey_year_id == SurveyInvitation.survey_year_id,
            other.c.household_key == SurveyInvitation.household_key,
            other.c.id != SurveyInvitation.id,
            or_(other.c.started_at.is_not(None), other.c.completed_at.is_not(None)),
        )
    )
    due = await session.execute(
        select(SurveyInvitation, Resident)
        .join(SurveyYear, SurveyYear.id == SurveyInvitation.survey_year_id)
        .join(Resident, Resident.id == SurveyInvitation.resident_id)
        .where(
            SurveyYear.status == OPEN,
            SurveyInvitation.reminders < MAX_REMINDERS,
            func.coalesce(SurveyInvitation.reminded_at, SurveyInvitation.invited_at)
            <= now - REMINDER_GAP,
            SurveyInvitation.started_at.is_(None),
            SurveyInvitation.declined_at.is_(None),
            SurveyInvitation.refused_at.is_(None),
            SurveyInvitation.completed_at.is_(None),
            Resident.active.is_(True),
            Resident.forgotten_at.is_(None),
            Resident.chat_id.is_not(None),
            ~household_started,
        )
        .order_by(SurveyInvitation.id)
    )
    quiet = QuietHours.of(settings)
    sent = 0
    for invitation, resident in due:
        claimed = await session.execute(
            update(SurveyInvitation)
            .where(
                SurveyInvitation.id == invitation.id,
                SurveyInvitation.reminders == invitation.reminders,
                SurveyInvitation.started_at.is_(None),
                SurveyInvitation.declined_at.is_(None),
            )
            .values(reminders=invitation.reminders + 1, reminded_at=now)
            .execution_options(synchronize_session=False)
        )
        if not getattr(claimed, "rowcount", 0):
            continue
        await _send(session, resident, invitation, settings, quiet, REMINDER_KIND, now)
        sent += 1
    await session.flush()
    return sent
