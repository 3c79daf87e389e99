"""Opening a round (SQLite and PostgreSQL): its moments in order, a budget, at least one
real neighbourhood; the phases by the clock; who may take part; and the audit line."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import delete, select

from bot.chest import rounds
from bot.chest.rounds import Phase, phase
from bot.errors import InvalidInput
from bot.models import AuditEntry, Resident, resident_topics
from tests.chest.factories import (
    COUNTING,
    MOMENTS,
    NOW,
    SHORTLISTING,
    STAFF,
    VOTING,
    add_residents,
    open_round,
    round_row,
)
from tests.support.broadcasts import Places
from tests.support.events import Sessions


async def test_a_round_is_opened_audited_and_moves_through_its_phases(
    sessions: Sessions, places: Places
) -> None:
    round_id = await open_round(sessions, [places.riverside, places.oakfield])
    chest_round = await round_row(sessions, round_id)
    assert chest_round.budget_pence == 100_000
    assert phase(chest_round, NOW - timedelta(seconds=1)) is Phase.WAITING
    assert phase(chest_round, NOW) is Phase.PROPOSALS
    assert phase(chest_round, SHORTLISTING) is Phase.SHORTLISTING
    assert phase(chest_round, VOTING) is Phase.VOTING
    assert phase(chest_round, COUNTING) is Phase.COUNTING
    async with sessions() as session:
        assert await rounds.areas_of(session, round_id) == sorted(
            [places.riverside, places.oakfield]
        )
        entry = await session.scalar(
            select(AuditEntry).where(AuditEntry.subject_id == str(round_id))
        )
    assert entry is not None and entry.action == "chest.round_opened" and entry.actor == STAFF


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"proposals_close_at": NOW}, "Proposals must close after they open."),
        ({"voting_open_at": MOMENTS.proposals_close_at - timedelta(minutes=1)}, "Voting must open"),
        ({"voting_close_at": MOMENTS.voting_open_at}, "Voting must close after it opens."),
    ],
)
async def test_moments_out_of_order_are_refused(
    sessions: Sessions, places: Places, change: dict[str, object], words: str
) -> None:
    async with sessions.begin() as session:
        with pytest.raises(InvalidInput) as refused:
            await rounds.open_round(
                session,
                name="Summer",
                budget_pence=100,
                neighbourhood_ids=[places.riverside],
                moments=replace(MOMENTS, **change),  # type: ignore[arg-type]
                created_by=STAFF,
                now=NOW,
            )
    assert refused.value.message_id.startswith(words)


async def test_proposals_closing_in_the_past_no_budget_no_area_or_unknown_area(
    sessions: Sessions, places: Places
) -> None:
    cases: list[tuple[dict[str, object], str]] = [
        ({"now": MOMENTS.proposals_close_at}, "Proposals must close in the future."),
        ({"budget_pence": 0}, "The budget must be more than £0."),
        ({"neighbourhood_ids": []}, "Choose at least one neighbourhood for the round."),
        ({"neighbourhood_ids": [places.riverside, 999_999]}, "There is no such neighbourhood"),
        ({"name": "  "}, "That message was empty."),
    ]
    for change, words in cases:
        values: dict[str, object] = {
            "name": "Summer",
            "budget_pence": 100,
            "neighbourhood_ids": [places.riverside],
            "moments": MOMENTS,
            "created_by": STAFF,
            "now": NOW,
            **change,
        }
        async with sessions.begin() as session:
            with pytest.raises(InvalidInput) as refused:
                await rounds.open_round(session, **values)  # type: ignore[arg-type]
        assert refused.value.message_id.startswith(words), change


async def test_who_may_take_part(sessions: Sessions, places: Places) -> None:
    """Residents of the round's neighbourhoods now (a newcomer too, and one who wants no
    updates); one who moves away no longer; one elsewhere never."""
    round_id = await open_round(sessions, [places.riverside])
    (ann,) = await add_residents(sessions, 1, area=places.riverside)
    (bob,) = await add_residents(sessions, 1, area=places.oakfield, first_user=6000)
    async with sessions.begin() as session:
        resident = await session.get(Resident, ann)
        other = await session.get(Resident, bob)
        assert resident is not None and other is not None
        assert await rounds.may_take_part(session, round_id, resident)
        assert not await rounds.may_take_part(session, round_id, other)
        assert [r.id for r in await rounds.rounds_for(session, resident, now=NOW)] == [round_id]
        assert await rounds.rounds_for(session, other, now=NOW) == []
        other.neighbourhood_id = places.riverside  # moves in
        resident.neighbourhood_id = places.oakfield  # moves away
        await session.flush()
        assert await rounds.may_take_part(session, round_id, other)
        assert not await rounds.may_take_part(session, round_id, resident)
        # Following no topic (no updates) does not take away a say in the chest.
        await session.execute(delete(resident_topics).where(resident_topics.c.resident_id == bob))
        assert await rounds.may_take_part(session, round_id, other)
