"""Who an event on the dashboard is for, by who writes it (on each database): staff limited
to some neighbourhoods publish only for theirs, as with announcements; admins and staff
covering everything may publish for everyone."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import time_machine

from bot.models import Event
from tests.events.web.test_pages import (
    add_event,
    events_in_db,
    good_form,
    post_form,
    staff_client,
)
from tests.feedback.web.test_inbox import add_staff, area_ids
from tests.support.events import sessions_of
from tests.support.web import Client, Web

NOON = datetime(2026, 12, 2, 12, 0, tzinfo=ZoneInfo("Europe/London"))
ALL_MINE = "Tick none for all the neighbourhoods you cover."
EVERYONE = "Tick none for everyone in the association."


async def _areas_of(web: Web, event_id: int) -> list[str]:
    async with sessions_of(web)() as db:
        event = await db.get(Event, event_id)
        assert event is not None
        return sorted(n.code for n in event.neighbourhoods)


async def _save_unticked(client: Client, event_id: int) -> None:
    """Save the edit form with no neighbourhood of the user's ticked."""
    form = await (await client.get(f"/events/{event_id}/edit")).text()
    sequence = re.search(r'name="sequence" value="(\d+)"', form)
    assert sequence
    saved = await post_form(
        client, f"/events/{event_id}/edit", good_form(title="Renamed", sequence=sequence[1])
    )
    assert saved.status == 303, await saved.text()


@time_machine.travel(NOON, tick=True)
async def test_staff_limited_to_some_neighbourhoods_publish_only_for_theirs(
    web: Web, neighbourhoods: None
) -> None:
    client = await staff_client(web, ["riverside"])
    published = await post_form(client, "/events/new", good_form())  # none ticked
    assert published.status == 303, await published.text()
    [event] = await events_in_db(web)
    assert await _areas_of(web, event.id) == ["riverside"]
    # The form says so, and so does the preview.
    assert ALL_MINE in await (await client.get("/events/new")).text()
    preview = await post_form(client, "/events/new", good_form(action="preview"))
    text = await preview.text()
    assert preview.status == 200 and "For: Riverside Estate" in text, text

    # Unticking their only neighbourhood does not open it to everyone either.
    await _save_unticked(client, event.id)
    assert await _areas_of(web, event.id) == ["riverside"]
    # An event for everyone (an admin's) stays for everyone when they change it.
    everyone = await add_event(web, title="AGM")
    assert EVERYONE in await (await client.get(f"/events/{everyone}/edit")).text()
    await _save_unticked(client, everyone)
    assert await _areas_of(web, everyone) == []


@time_machine.travel(NOON, tick=True)
async def test_admins_and_staff_covering_everything_may_publish_for_everyone(
    web: Web, neighbourhoods: None
) -> None:
    areas = await area_ids(web)
    everywhere = await staff_client(web, [], name="sam")  # no neighbourhoods chosen: all
    member = await add_staff(web, ["riverside"])
    admin = await web.logged_in("admin", "priya", staff_member_id=member.id)
    for client in (everywhere, admin):
        assert EVERYONE in await (await client.get("/events/new")).text()
        published = await post_form(client, "/events/new", good_form())
        assert published.status == 303, await published.text()
        event_id = int(published.headers["Location"].split("/")[2].split("?")[0])
        assert await _areas_of(web, event_id) == []
        # Any neighbourhood may be chosen, too.
        chosen = await post_form(client, "/events/new", good_form(area=str(areas["oakfield"])))
        assert chosen.status == 303
