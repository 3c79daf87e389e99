"""Survey years opened and invitations acted on through the services, for the survey's tests
on a real database (SQLite and PostgreSQL); and readers of what they wrote."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update

from bot.config import Settings, load_settings
from bot.models import Delivery, Resident, SurveyInvitation
from bot.survey import answering, invitations
from bot.survey.questions import Answer, Question, options
from tests.support.events import Sessions

# Tuesday 1 June 2027, 11:00 UTC (12:00 in London): the reporting year began on 1 April 2027.
NOW = datetime(2027, 6, 1, 11, 0, tzinfo=UTC)
SETTINGS = load_settings(association_name="Riverside Homes")
ADMIN = "web:admin"


async def open_year(
    sessions: Sessions,
    *,
    tenure: str = "lcra",
    method: str = "census",
    homes: int = 100,
    now: datetime = NOW,
    seed: int | None = 7,
    settings: Settings = SETTINGS,
) -> int:
    async with sessions.begin() as session:
        year = await invitations.open_year(
            session,
            tenure=tenure,
            method=method,
            homes=homes,
            opened_by=ADMIN,
            now=now,
            settings=settings,
            seed=seed,
        )
        return year.id


async def set_resident(sessions: Sessions, resident_id: int, **values: Any) -> None:
    async with sessions.begin() as session:
        await session.execute(update(Resident).where(Resident.id == resident_id).values(**values))


async def invitations_of(sessions: Sessions, year_id: int) -> list[SurveyInvitation]:
    async with sessions() as session:
        rows = await session.scalars(
            select(SurveyInvitation)
            .where(SurveyInvitation.survey_year_id == year_id)
            .order_by(SurveyInvitation.id)
        )
        return list(rows)


async def invitation_of(sessions: Sessions, year_id: int, resident_id: int) -> SurveyInvitation:
    found = [i for i in await invitations_of(sessions, year_id) if i.resident_id == resident_id]
    assert len(found) == 1
    return found[0]


async def call(sessions: Sessions, invitation_id: int, action: str, *args: Any, **kw: Any) -> Any:
    """Run answering.<action>(session, invitation, *args, now=...) in one transaction."""
    async with sessions.begin() as session:
        invitation = await session.get(SurveyInvitation, invitation_id)
        assert invitation is not None
        return await getattr(answering, action)(session, invitation, *args, now=kw.get("now", NOW))


async def answer_all(
    sessions: Sessions, invitation_id: int, first: Question | None, pick: int = 0
) -> list[str]:
    """Answer every question with its option number ``pick`` (YES on filters); the codes."""
    asked = []
    current = first
    while current is not None:
        asked.append(current.code)
        choices = options(current)
        value = Answer.YES if Answer.YES in choices else choices[pick]
        current = await call(sessions, invitation_id, "answer", current.code, value)
    return asked


def buttons_of(row: Delivery) -> list[str]:
    return [button["data"] for line in row.payload["buttons"] for button in line]
