"""Announcing an event from the dashboard, over real HTTP on each database: the event written
up as an announcement draft at the announcements' preview, Confirm sending it once to the
residents of its neighbourhoods who follow Events, and every refusal saving nothing."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func, select, update

from bot.models import Announcement, Broadcast, Delivery, Event, Topic
from bot.web.pages import UNLINKED
from tests.events.web.test_pages import SCRIPT, add_event, into_the_past, post_form, staff_client
from tests.support.broadcasts import Places, add_resident
from tests.support.events import sessions_of
from tests.support.web import Web, page_token

ESCAPED_SCRIPT = "&lt;script&gt;alert(1)&lt;/script&gt;"


async def announce(client: Any, event_id: int) -> tuple[int, str]:
    response = await post_form(client, f"/events/{event_id}/announce", {})
    return response.status, await response.text()


def draft_id_of(page: str) -> int:
    found = re.search(r'action="/announcements/(\d+)/confirm"', page)
    assert found, "no Confirm on the page"
    return int(found.group(1))


async def confirm(client: Any, announcement_id: int) -> tuple[int, str]:
    token = await page_token(client, "/announcements")
    response = await client.post(
        f"/announcements/{announcement_id}/confirm",
        data={"csrf_token": token},
        allow_redirects=False,
    )
    return response.status, response.headers.get("Location", "")


async def count(web: Web, model: Any) -> int:
    async with sessions_of(web)() as db:
        return int(await db.scalar(select(func.count()).select_from(model)) or 0)


async def chats_told(web: Web) -> list[int]:
    async with sessions_of(web)() as db:
        rows = (await db.scalars(select(Delivery).order_by(Delivery.chat_id))).all()
    return [r.chat_id for r in rows if r.chat_id is not None]


async def events_topic(web: Web, *, active: bool) -> None:
    async with sessions_of(web).begin() as db:
        await db.execute(update(Topic).where(Topic.code == "events").values(active=active))


async def followers(web: Web, places: Places) -> None:
    """Residents at 600_001..600_005: only 600_001 and 600_005 follow Events in Riverside."""
    events, news = places.topics["events"], places.topics["news"]
    for chat, area, topics in [
        (600_001, places.riverside, [events, news]),
        (600_002, places.riverside, [news]),
        (600_003, places.oakfield, [events]),
        (600_004, None, [events]),
        (600_005, places.riverside, [events]),
    ]:
        await add_resident(sessions_of(web), chat, area=area, topics=topics)


async def test_announce_previews_then_confirm_sends_once_to_event_followers_there(
    web: Web, places: Places
) -> None:
    await followers(web, places)
    title = f"Coffee {SCRIPT} & cake"
    event_id = await add_event(
        web, title=title, capacity=12, areas=(places.riverside,), place="Riverside hall"
    )
    client = await staff_client(web)
    page = await (await client.get(f"/events/{event_id}")).text()
    assert f'action="/events/{event_id}/announce"' in page and "Announce it" in page

    status, preview = await announce(client, event_id)
    assert status == 200, preview
    assert SCRIPT not in preview
    assert f"<strong>Coffee {ESCAPED_SCRIPT} &amp; cake</strong>" in preview
    assert "Where: Riverside hall" in preview and "Places: 12" in preview
    assert "Open Events in the menu to sign up." in preview
    assert re.search(r'class="recipients">2<', preview)
    assert "<dd>Riverside Estate</dd>" in preview and "<dd>Events</dd>" in preview
    assert "Photo" not in preview
    draft = draft_id_of(preview)
    assert await count(web, Delivery) == 0  # a preview sends nothing

    assert await confirm(client, draft) == (303, f"/announcements/{draft}?done=sent")
    assert await confirm(client, draft) == (303, f"/announcements/{draft}?done=already")
    assert await chats_told(web) == [600_001, 600_005]
    assert await count(web, Broadcast) == 1
    async with sessions_of(web)() as db:
        payloads = (await db.scalars(select(Delivery.payload))).all()
        row = await db.get(Announcement, draft)
    assert all(p["text"].startswith(f"<b>Coffee {ESCAPED_SCRIPT} &amp; cake</b>") for p in payloads)
    assert row is not None and row.status == "sent" and not row.urgent
    assert row.neighbourhood_ids == [places.riverside]
    assert row.topic_ids == [places.topics["events"]]


async def test_the_event_photo_goes_with_it_and_a_long_description_is_cut_to_a_caption(
    web: Web, places: Places
) -> None:
    event_id = await add_event(web, photo_file_id="photo-abc", description="word " * 600)
    client = await staff_client(web)
    status, preview = await announce(client, event_id)
    assert status == 200, preview
    assert '<dt>Photo</dt><dd class="photo-attached">a photo is attached' in preview
    async with sessions_of(web)() as db:
        [row] = (await db.scalars(select(Announcement))).all()
    assert row.photo_file_id == "photo-abc" and row.status == "draft"
    assert len(re.sub(r"<[^>]+>", "", row.text)) <= 1024
    assert row.neighbourhood_ids == []  # an association-wide event: everyone who follows Events


async def test_cancelled_started_or_without_an_events_topic_is_refused_and_nothing_saved(
    web: Web, places: Places
) -> None:
    client = await staff_client(web)
    cancelled = await add_event(web, title="Called off")
    async with sessions_of(web).begin() as db:
        await db.execute(update(Event).where(Event.id == cancelled).values(status="cancelled"))
    started = await add_event(web, title="Going on")
    await into_the_past(web, started)
    upcoming = await add_event(web, title="Still to come")
    for event_id, message in [
        (cancelled, "This event has been cancelled."),
        (started, "This event has already started."),
    ]:
        status, page = await announce(client, event_id)
        assert status == 400 and message in page, page
        assert f"/events/{event_id}/attendees.csv" in page  # the event's own page
    # The button is offered only for an upcoming event that is not cancelled.
    for event_id in (cancelled, started):
        page = await (await client.get(f"/events/{event_id}")).text()
        assert '/announce"' not in page
    await events_topic(web, active=False)
    try:
        status, page = await announce(client, upcoming)
    finally:
        await events_topic(web, active=True)  # topics are kept from test to test
    assert status == 400 and "There is no Events topic" in page
    assert await count(web, Announcement) == 0


async def test_who_may_announce(web: Web, places: Places) -> None:
    theirs = await add_event(web, areas=(places.oakfield,))
    joint = await add_event(web, areas=(places.oakfield, places.riverside))
    everyone = await add_event(web)
    riverside_staff = await staff_client(web, ["riverside"])
    assert (await announce(riverside_staff, theirs))[0] == 404
    for forged in ("999999", "abc", "-1"):
        assert (await post_form(riverside_staff, f"/events/{forged}/announce", {})).status == 404
    # Limited staff reach only their own neighbourhoods, as when composing.
    for event_id in (joint, everyone):
        status, page = await announce(riverside_staff, event_id)
        assert status == 200 and "<dd>Riverside Estate</dd>" in page, page
    async with sessions_of(web)() as db:
        rows = (await db.scalars(select(Announcement).order_by(Announcement.id))).all()
    assert [r.neighbourhood_ids for r in rows] == [[places.riverside]] * 2

    viewer = await web.logged_in("viewer")
    assert (await announce(viewer, joint))[0] == 403
    assert '/announce"' not in await (await viewer.get(f"/events/{joint}")).text()
    unlinked = await web.logged_in("staff", "nobody")
    status, page = await announce(unlinked, everyone)
    assert status == 403 and UNLINKED in page
    forged = await riverside_staff.post(
        f"/events/{joint}/announce", data={"csrf_token": "forged" * 8}, allow_redirects=False
    )
    assert forged.status == 403
    no_token = await riverside_staff.post(f"/events/{joint}/announce", allow_redirects=False)
    assert no_token.status == 403
    assert await count(web, Announcement) == 2
    async with sessions_of(web)() as db:
        assert all(e.status == "published" for e in (await db.scalars(select(Event))).all())
