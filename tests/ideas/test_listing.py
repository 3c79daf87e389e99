"""The ideas' dashboard list (SQLite and PostgreSQL): filters, a staff member's scope, the
queue to check, and the CSV (formula-safe, the name only when shared)."""

from __future__ import annotations

import io
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.errors import InvalidInput
from bot.ideas import listing
from bot.ideas.listing import IdeaFilters, parse_filters
from tests.ideas.factories import NOW, add_residents, propose
from tests.support.broadcasts import Places
from tests.support.events import Sessions

TZ = ZoneInfo("Europe/London")


def test_filters_are_checked() -> None:
    assert parse_filters({"status": "going_ahead", "from": "2027-06-01"}) == IdeaFilters(
        "going_ahead", None, date(2027, 6, 1), None
    )
    for bad, words in [
        ({"status": "lost"}, "no such status"),
        ({"neighbourhood": "x"}, "no such neighbourhood"),
        ({"from": "June"}, "from date must look like"),
        ({"from": "2027-06-02", "to": "2027-06-01"}, "must not be after"),
    ]:
        with pytest.raises(InvalidInput, match=words):
            parse_filters(bad)


async def test_filters_scope_queue_and_csv(sessions: Sessions, places: Places) -> None:
    (ann,) = await add_residents(sessions, 1, area=places.riverside, name="Ann")
    (olu,) = await add_residents(sessions, 1, area=places.oakfield, first_user=6000, name="Olu")
    await propose(sessions, ann, title="=HYPERLINK(1)", shares_name=True, approve=True)
    await propose(sessions, ann, title="Bench", now=NOW + timedelta(days=2))
    await propose(sessions, olu, title="Oakfield idea", approve=True)
    async with sessions() as session:
        everything = await listing.listed(session, IdeaFilters(), None, TZ)
        riverside = await listing.listed(session, IdeaFilters(), frozenset({places.riverside}), TZ)
        nothing = await listing.listed(session, IdeaFilters(), frozenset(), TZ)
        approved = await listing.listed(session, IdeaFilters("approved"), None, TZ)
        dated = await listing.listed(session, IdeaFilters(since=date(2027, 6, 2)), None, TZ)
        queue = await listing.to_check(session, frozenset({places.oakfield}))
    assert [r.idea.title for r in everything] == ["Bench", "=HYPERLINK(1)", "Oakfield idea"] or [
        r.idea.title for r in everything
    ] == ["Bench", "Oakfield idea", "=HYPERLINK(1)"]
    assert {r.idea.title for r in riverside} == {"Bench", "=HYPERLINK(1)"}
    assert nothing == []
    assert {r.idea.title for r in approved} == {"=HYPERLINK(1)", "Oakfield idea"}
    assert [r.idea.title for r in dated] == ["Bench"]
    assert queue == []  # Oakfield's idea is approved; Bench is Riverside's
    buffer = io.BytesIO()
    listing.write_csv(riverside, buffer, TZ)
    lines = buffer.getvalue().decode("utf-8-sig").splitlines()
    assert lines[0].startswith("id,proposed,neighbourhood,title")
    garden = next(line for line in lines if "HYPERLINK" in line)
    assert "'=HYPERLINK(1)" in garden and garden.endswith(",Ann")
    bench = next(line for line in lines if "Bench" in line)
    assert bench.endswith(",")  # not shared: no name
