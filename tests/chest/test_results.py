"""A round's results (SQLite and PostgreSQL): counted exactly, the winners by the method
(a tie, a project that exactly fits, a higher-voted one skipped for one that fits),
confirmed by an admin once voting has closed, and announced once to the round's residents
(routine, quiet hours kept), with the winners, votes, costs and the method."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.chest import results
from bot.errors import DomainError
from bot.i18n import gettext_for
from bot.models import AuditEntry, ChestProject, ChestRound, Delivery
from tests.chest.factories import (
    COUNTING,
    SETTINGS,
    STAFF,
    VOTING,
    add_residents,
    decide,
    open_round,
    propose,
    round_row,
    vote,
)
from tests.support.broadcasts import Places
from tests.support.events import Sessions


async def _confirm(sessions: Sessions, round_id: int, **values: object) -> int:
    async with sessions.begin() as session:
        chest_round = await session.get(ChestRound, round_id)
        assert chest_round is not None
        moment = values.get("now", COUNTING)
        return await results.confirm(
            session,
            chest_round,
            actor=STAFF,
            settings=SETTINGS,
            now=moment,  # type: ignore[arg-type]
        )


async def test_winners_confirmed_and_announced_once(sessions: Sessions, places: Places) -> None:
    # Budget £1,000. Approvals: Swings 6 (£700), Mural 5 (£500), Bench 3 (£300),
    # Planters 3 (£250), Lights 1 (£100).
    # Bench and Planters tie on 3: Planters (£250) is the cheaper and goes first.
    # Swings £700 fits -> funded, £300 left. Mural £500 > £300 -> skipped.
    # Planters £250 fits -> funded, £50 left. Bench £300 > £50 -> skipped.
    # Lights £100 > £50 -> skipped. Awarded £950.
    round_id = await open_round(sessions, [places.riverside])
    voters = await add_residents(sessions, 7, area=places.riverside)
    (elsewhere,) = await add_residents(sessions, 1, area=places.oakfield, first_user=6000)
    costs = {"Swings": 70_000, "Mural": 50_000, "Bench": 30_000, "Planters": 25_000}
    ids = {t: await propose(sessions, round_id, voters[0], t, c) for t, c in costs.items()}
    ids["Lights"] = await propose(sessions, round_id, voters[1], "Lights", 10_000)
    for project_id in ids.values():
        await decide(sessions, project_id)
    ballots = [
        ["Swings", "Mural", "Bench"],
        ["Swings", "Mural", "Planters"],
        ["Swings", "Mural", "Bench", "Planters"],
        ["Swings", "Mural"],
        ["Swings", "Mural", "Lights"],
        ["Swings", "Bench", "Planters"],
    ]
    for resident_id, titles in zip(voters, ballots, strict=False):
        await vote(sessions, round_id, resident_id, [ids[t] for t in titles])
    chest_round = await round_row(sessions, round_id)
    async with sessions() as session:
        outcome = await results.count(session, chest_round)
    assert [(line.project.title, line.approvals, line.funded) for line in outcome.lines] == [
        ("Swings", 6, True),
        ("Mural", 5, False),
        ("Planters", 3, True),
        ("Bench", 3, False),
        ("Lights", 1, False),
    ]
    assert outcome.choice.spent_pence == 95_000 and outcome.voted == 6
    with pytest.raises(DomainError, match="once voting has closed"):
        await _confirm(sessions, round_id, now=VOTING)
    assert await _confirm(sessions, round_id) == 7  # Riverside's residents, not Oakfield's
    with pytest.raises(DomainError, match="confirmed already"):
        await _confirm(sessions, round_id, now=COUNTING + timedelta(hours=1))
    async with sessions() as session:
        rows = list(await session.scalars(select(Delivery).where(Delivery.kind == "chest_results")))
        funded = set(
            await session.scalars(select(ChestProject.title).where(ChestProject.funded.is_(True)))
        )
        audited = await session.scalar(
            select(AuditEntry.details).where(AuditEntry.action == "chest.results_confirmed")
        )
    assert funded == {"Swings", "Planters"}
    assert len(rows) == 7 and elsewhere not in {r.resident_id for r in rows}
    assert all(not r.urgent and r.priority == 5 for r in rows)
    text = rows[0].payload["text"]
    assert "Community chest results: Summer 2027" in text
    assert "Budget: £1,000. Awarded: £950. Projects funded: 2." in text
    assert "✅ Swings: £700, approved by 6" in text
    assert "✅ Planters: £250, approved by 3" in text
    assert "▫️ Mural: £500, approved by 5" in text
    assert "Residents who voted: 6." in text
    assert "How the winners are chosen:" in text
    assert audited is not None and audited["spent_pence"] == 95_000


async def test_announced_in_quiet_hours_waits_until_they_end(
    sessions: Sessions, places: Places
) -> None:
    round_id = await open_round(sessions, [places.riverside])
    (ann,) = await add_residents(sessions, 1, area=places.riverside)
    project_id = await propose(sessions, round_id, ann, "Bench", 100)
    await decide(sessions, project_id)
    await vote(sessions, round_id, ann, [project_id])
    chest_round = await round_row(sessions, round_id)
    late = chest_round.voting_close_at.replace(hour=22, minute=30)  # 23:30 in London
    await _confirm(sessions, round_id, now=late)
    async with sessions() as session:
        row = await session.scalar(select(Delivery).where(Delivery.kind == "chest_results"))
    assert row is not None and row.not_before > late


def test_the_longest_shortlist_fits_in_one_message() -> None:
    from datetime import UTC, datetime

    from bot.chest.winners import Candidate, Choice

    when = datetime(2027, 6, 1, tzinfo=UTC)
    chest_round = ChestRound(name="Big", budget_pence=100)
    projects = [
        ChestProject(id=i, title="x" * 80, cost_pence=100, proposed_at=when) for i in range(30)
    ]
    lines = [results.Line(p, 30 - p.id, p.id == 0) for p in projects]
    choice = Choice([Candidate(p.id, 1, 100, when) for p in projects], [0], 100, 0)
    text = results.results_text(gettext_for("en"), results.Outcome(chest_round, lines, choice, 30))
    assert len(text) <= results.MESSAGE_MAX and text.count("x" * 80) == 30
    assert "How the winners are chosen:" in text
