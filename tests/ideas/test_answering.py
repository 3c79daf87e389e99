"""Staff answering an idea (SQLite and PostgreSQL): the proposer and every backer told
(routine: held by quiet hours), audited; only approved ideas; an answer and a reason
needed; the first "going ahead" kept for the report."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.config import load_settings
from bot.errors import DomainError, InvalidInput
from bot.ideas import answering, backing
from bot.models import AuditEntry, Delivery, Resident
from bot.models.idea import CONSIDERING, GOING_AHEAD
from tests.ideas.factories import NOW, SETTINGS, STAFF, add_residents, idea_row, propose, told
from tests.support.broadcasts import Places
from tests.support.events import Sessions

LONDON = ZoneInfo("Europe/London")


async def test_the_proposer_and_backers_are_told(sessions: Sessions, places: Places) -> None:
    ann, bob, cara, dev = await add_residents(sessions, 4, area=places.riverside)
    idea = await propose(sessions, ann, title="A community garden", approve=True)
    waiting = await propose(sessions, dev, title="Not checked")
    async with sessions.begin() as session:
        for backer in (bob, cara, ann):
            resident = await session.get(Resident, backer)
            assert resident is not None
            await backing.back(session, idea, resident, now=NOW)
        with pytest.raises(InvalidInput, match="Choose an answer"):
            await answering.answer(
                session, idea, "maybe", "Why", actor=STAFF, settings=SETTINGS, now=NOW
            )
        with pytest.raises(DomainError, match="Only an idea shown"):
            await answering.answer(
                session, waiting, GOING_AHEAD, "Yes", actor=STAFF, settings=SETTINGS, now=NOW
            )
        told_now = await answering.answer(
            session,
            idea,
            GOING_AHEAD,
            "The council has agreed the plot.",
            actor=STAFF,
            settings=SETTINGS,
            now=NOW,
        )
    assert told_now == 3  # Ann backs her own idea: told once
    answers = [(who, text) for who, text in await told(sessions) if "answered" in text]
    assert {who for who, _text in answers} == {ann, bob, cara} and len(answers) == 3
    assert answers[0][1] == (
        "Staff have answered the idea \u201cA community garden\u201d: Going ahead. "
        "The council has agreed the plot."
    )
    row = await idea_row(sessions, idea)
    assert row.answer == GOING_AHEAD and row.going_ahead_at == NOW
    async with sessions() as session:
        entry = await session.scalar(select(AuditEntry).where(AuditEntry.action == "idea.answered"))
    assert entry is not None and entry.details == {"answer": "going_ahead", "told": 3}


async def test_answers_wait_for_quiet_hours_to_end(sessions: Sessions, places: Places) -> None:
    ann, bob = await add_residents(sessions, 2, area=places.riverside)
    idea = await propose(sessions, ann, approve=True)
    quiet = load_settings(
        association_name="Riverside Homes", quiet_hours_start="21:00", quiet_hours_end="08:00"
    )
    night = datetime(2027, 6, 1, 22, 30, tzinfo=LONDON)
    async with sessions.begin() as session:
        resident = await session.get(Resident, bob)
        assert resident is not None
        await backing.back(session, idea, resident, now=night)
        await answering.answer(
            session,
            idea,
            CONSIDERING,
            "We are asking the council.",
            actor=STAFF,
            settings=quiet,
            now=night,
        )
    async with sessions() as session:
        rows = list(
            await session.scalars(
                select(Delivery).where(Delivery.kind == "idea", Delivery.created_at == night)
            )
        )
    assert len(rows) == 2
    for row in rows:
        assert not row.urgent
        assert row.not_before.astimezone(LONDON).time() == time(8, 0)
    assert (await idea_row(sessions, idea)).going_ahead_at is None
