"""Proposing and shortlisting (SQLite and PostgreSQL): proposals only while open and only
from the round's residents, within the budget; every decision with a reason, told to the
proposer through the outbox, audited, and fixed once voting opens."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from bot.chest import proposals
from bot.errors import DomainError, InvalidInput, StaleAction
from bot.models import AuditEntry, ChestProject, Delivery
from bot.models.chest import NOT_SHORTLISTED, SHORTLISTED
from tests.chest.factories import (
    SETTINGS,
    STAFF,
    VOTING_OPEN,
    add_residents,
    decide,
    open_round,
    propose,
)
from tests.support.broadcasts import Places
from tests.support.events import Sessions


async def test_proposals_are_taken_while_open_from_the_rounds_residents(
    sessions: Sessions, places: Places
) -> None:
    round_id = await open_round(sessions, [places.riverside], budget_pence=50_000)
    (ann,) = await add_residents(sessions, 1, area=places.riverside)
    (bob,) = await add_residents(sessions, 1, area=places.oakfield, first_user=6000)
    project_id = await propose(sessions, round_id, ann, "Bench", 45_050)
    async with sessions() as session:
        project = await session.get(ChestProject, project_id)
        assert project is not None
    assert (project.cost_pence, project.status, project.neighbourhood_id) == (
        45_050,
        "proposed",
        places.riverside,
    )
    with pytest.raises(StaleAction):
        await propose(sessions, round_id, bob, "Elsewhere", 100)
    with pytest.raises(InvalidInput) as over:
        await propose(sessions, round_id, ann, "Too dear", 50_001)
    assert over.value.params == {"budget": "£500"}
    with pytest.raises(DomainError, match=re.escape("Proposals for this round are closed.")):
        await propose(sessions, round_id, ann, "Late", 100, minutes=7 * 24 * 60)
    for n in range(proposals.MOST_PROPOSALS_EACH - 1):
        await propose(sessions, round_id, ann, f"Idea {n}", 100)
    with pytest.raises(DomainError, match=re.escape("proposed {count} projects")):
        await propose(sessions, round_id, ann, "One too many", 100)


async def test_decisions_have_a_reason_the_proposer_is_told_and_are_audited(
    sessions: Sessions, places: Places
) -> None:
    round_id = await open_round(sessions, [places.riverside])
    ann, bob = await add_residents(sessions, 2, area=places.riverside)
    bench = await propose(sessions, round_id, ann, "Bench", 40_000)
    mural = await propose(sessions, round_id, bob, "Mural", 30_000)
    await decide(sessions, bench, reason="A good use of the green.")
    await decide(sessions, mural, shortlisted=False, reason="The wall is not ours.")
    async with sessions() as session:
        rows = list(
            await session.scalars(
                select(Delivery).where(Delivery.kind == "chest_decision").order_by(Delivery.id)
            )
        )
        statuses = [
            p.status for p in await session.scalars(select(ChestProject).order_by(ChestProject.id))
        ]
        actions = list(
            await session.scalars(select(AuditEntry.action).where(AuditEntry.actor == STAFF))
        )
    assert statuses == [SHORTLISTED, NOT_SHORTLISTED]
    assert len(rows) == 2 and not rows[0].urgent
    first, second = (r.payload["text"] for r in rows)
    assert "“Bench” is on the shortlist for Summer 2027" in first
    assert "The reason: A good use of the green." in first
    assert "is not on the shortlist" in second and "The wall is not ours." in second
    assert "How the winners are chosen:" in first
    assert {"chest.shortlisted", "chest.not_shortlisted"} <= set(actions)


async def test_no_reason_or_after_voting_opens_is_refused(
    sessions: Sessions, places: Places
) -> None:
    round_id = await open_round(sessions, [places.riverside])
    (ann,) = await add_residents(sessions, 1, area=places.riverside)
    bench = await propose(sessions, round_id, ann, "Bench", 40_000)
    with pytest.raises(InvalidInput):
        await decide(sessions, bench, reason=" ")
    async with sessions.begin() as session:
        project = await session.get(ChestProject, bench)
        assert project is not None
        with pytest.raises(DomainError, match="shortlist can no longer change"):
            await proposals.decide(
                session,
                project,
                shortlisted=True,
                reason="Late",
                actor=STAFF,
                settings=SETTINGS,
                now=VOTING_OPEN,
            )
    async with sessions() as session:
        project = await session.get(ChestProject, bench)
    assert project is not None and project.status == "proposed"
