"""Residents by neighbourhood: new, registered and active, suppressed by the people behind."""

from __future__ import annotations

from datetime import date

from bot.models import Resident
from bot.reports.suppression import FEWER_THAN_5, HIDDEN
from tests.reports.records import JUNE, Sessions, areas, figures, london, report, resident, row


async def test_residents_by_neighbourhood_suppressed_at_four_not_five(
    sessions: Sessions, neighbourhoods: None
) -> None:
    ids = await areas(sessions)
    before = london(date(2026, 1, 10))
    during = london(date(2026, 7, 1))
    river = [await resident(sessions, ids["riverside"], during) for _ in range(5)]
    oak = [await resident(sessions, ids["oakfield"], during) for _ in range(4)]
    for _ in range(7):
        await resident(sessions, None, before)
    # Forgotten before the period ended: not registered at its end.
    async with sessions.begin() as db:
        db.add(Resident(neighbourhood_id=ids["oakfield"], consented_at=before, forgotten_at=during))
    # Active: a report each from 5 of Riverside's residents, one from Oakfield.
    for resident_id in river:
        await report(sessions, during, resident_id=resident_id, neighbourhood_id=ids["riverside"])
    await report(sessions, during, resident_id=oak[0], category="suggestion")
    for _ in range(5):  # the same resident six times: still one resident
        await report(sessions, during, resident_id=oak[0], category="suggestion")
    result = await figures(sessions, JUNE)
    residents = result.residents
    assert residents.new.rows == [
        ("Oakfield Gardens", FEWER_THAN_5),
        ("Riverside Estate", HIDDEN),
        ("No neighbourhood", 0),
    ]
    assert residents.new.total == 9
    assert residents.registered.rows == [
        ("Oakfield Gardens", FEWER_THAN_5),
        ("Riverside Estate", HIDDEN),
        ("No neighbourhood", 7),
    ]
    assert residents.registered.total == 16
    assert residents.active.rows == [
        ("Oakfield Gardens", FEWER_THAN_5),
        ("Riverside Estate", HIDDEN),
        ("No neighbourhood", 0),
    ]
    # One and five of six: "hidden" is 5 or more, so the 6 would give both back.
    assert residents.active.total == HIDDEN
    assert row(result.by_category, "Suggestion") == FEWER_THAN_5
    assert row(result.by_category, "Repairs") == HIDDEN
    assert result.by_category.total == 11
