"""An event's page shows its places, who came and the ratings as small charts whose words
and figures match the bookings (and say so in a table), with nothing to divide by zero."""

from __future__ import annotations

from sqlalchemy import select, update

from bot.models import EventBooking
from tests.events.web.test_pages import add_event, into_the_past, sign_up, staff_client
from tests.feedback.web.test_inbox import add_resident
from tests.support.charts import chart_on
from tests.support.events import sessions_of
from tests.support.web import Web


async def test_places_then_who_came_and_the_ratings_match_the_bookings(
    web: Web, neighbourhoods: None
) -> None:
    event_id = await add_event(web, capacity=4, max_party=2)
    residents = [await add_resident(web, None, name) for name in ("Ann", "Bob", "Cat", "Dan")]
    for resident, party in zip(residents, (2, 1, 2, 2), strict=True):
        await sign_up(web, event_id, resident, party)  # Cat and Dan do not fit: waiting
    client = await staff_client(web)
    page = await (await client.get(f"/events/{event_id}")).text()
    places = chart_on(page, "places")
    assert places.title == "Places (people)"
    assert places.desc == "Booked: 3; Waiting list: 4; Places left: 1."
    assert places.rows == [("Booked", "3"), ("Waiting list", "4"), ("Places left", "1")]
    assert places.bars == ["75.0%", "100.0%", "25.0%"]  # of the 4 places (or more waiting)
    assert 'id="chart-came"' not in page and 'id="chart-ratings"' not in page

    await into_the_past(web, event_id)
    async with sessions_of(web).begin() as db:
        ann, bob = (
            await db.scalars(
                select(EventBooking.id)
                .where(EventBooking.event_id == event_id, EventBooking.status == "booked")
                .order_by(EventBooking.position)
            )
        ).all()
        await db.execute(
            update(EventBooking).where(EventBooking.id == ann).values(attended=True, rating=5)
        )
        await db.execute(
            update(EventBooking).where(EventBooking.id == bob).values(attended=False, rating=2)
        )
    page = await (await client.get(f"/events/{event_id}")).text()
    came = chart_on(page, "came")
    assert came.desc == "Came: 2; Did not come: 1; Not marked yet: 0."
    assert came.rows == [("Came", "2"), ("Did not come", "1"), ("Not marked yet", "0")]
    ratings = chart_on(page, "ratings")
    assert ratings.title == "Ratings residents gave (2)"
    assert ratings.desc == "5 of 5: 1; 4 of 5: 0; 3 of 5: 0; 2 of 5: 1; 1 of 5: 0."
    assert len(ratings.rows) == 5


async def test_an_event_with_no_limit_and_nobody_booked_draws_empty_bars(
    web: Web, neighbourhoods: None
) -> None:
    event_id = await add_event(web, capacity=None)
    client = await staff_client(web)
    response = await client.get(f"/events/{event_id}")
    assert response.status == 200
    page = await response.text()
    places = chart_on(page, "places")
    assert places.desc == "Booked: 0; Waiting list: 0."  # no limit: no places left to count
    assert places.rows == [("Booked", "0"), ("Waiting list", "0")]
    assert places.bars == ["0.0%", "0.0%"]
    await into_the_past(web, event_id)
    page = await (await client.get(f"/events/{event_id}")).text()
    assert chart_on(page, "came").desc == "Came: 0; Did not come: 0; Not marked yet: 0."
    assert 'id="chart-ratings"' not in page  # no ratings yet: no chart of them
