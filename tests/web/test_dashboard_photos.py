"""Photos from the dashboard over real HTTP on each database: a JPEG or PNG chosen in the
event form or the announcement form goes to the staff member's own chat in the sandbox
(sendPhoto, multipart) for its Telegram file id, which the event or announcement keeps;
what is not a photo, too big, or cannot reach Telegram is refused in words, values kept."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from playwright.async_api import async_playwright, expect
from sqlalchemy import func, select

from bot.models import Announcement, Delivery, Event, StaffMember
from bot.sandbox.runner import start_sandbox
from bot.sandbox.state import SandboxState
from bot.web import forms
from tests.events.web.test_pages import good_form
from tests.feedback.web.test_casework import JPEG, PNG, SCRIPT
from tests.sandbox.test_chat_page import CHROMIUM, CHROMIUM_ARGS, ensure_chromium
from tests.support.broadcasts import Places, add_resident, draft_id_of, staff_client
from tests.support.harness import TEST_TOKEN
from tests.support.web import PASSWORDS, Client, Web, WebFactory, free_port, page_token

BIG = 11 * 1024 * 1024
TIMEOUT_MS = 10_000


@dataclass
class Photos:
    """The dashboard with the sandbox as its Bot API, and a staff client whose chat it knows."""

    web: Web
    state: SandboxState
    client: Client
    chat_id: int

    def sent(self) -> list[dict[str, Any]]:
        """The messages the bot sent to the staff member's chat."""
        log = self.state.chats.get(self.chat_id)
        return [m.data for m in log.messages.values() if m.from_bot] if log else []


@pytest.fixture
async def photos(web_factory: WebFactory, places: Places) -> AsyncIterator[Photos]:
    state = SandboxState(TEST_TOKEN)
    runner, url = await start_sandbox(state)
    try:
        web = await web_factory(telegram_bot_token=TEST_TOKEN, telegram_api_base_url=f"{url}/bot")
        client, member_id = await staff_client(web)
        async with web.sessions() as db:
            member = await db.get(StaffMember, member_id)
            assert member is not None
            chat_id = member.chat_id
        state.ensure_user(chat_id, "Sam")  # the member has started the bot
        yield Photos(web, state, client, chat_id)
    finally:
        await runner.cleanup()


def multipart(
    token: str | None, fields: dict[str, Any], photo: bytes | None, filename: str = "p.jpg"
) -> aiohttp.FormData:
    """The form as a browser posts one with a file input (an empty input sends no bytes)."""
    data = aiohttp.FormData(default_to_multipart=True)
    if token is not None:
        data.add_field("csrf_token", token)
    for name, value in fields.items():
        for one in value if isinstance(value, list) else [value]:
            data.add_field(name, str(one))
    data.add_field(
        "photo", photo or b"", filename=filename if photo else "", content_type="image/jpeg"
    )
    return data


async def post(
    client: Client,
    path: str,
    fields: dict[str, Any],
    photo: bytes | None,
    *,
    filename: str = "p.jpg",
    token: str | None = "fresh",
) -> tuple[int, str, str]:
    if token == "fresh":
        token = await page_token(client, "/events")
    response = await client.post(
        path, data=multipart(token, fields, photo, filename), allow_redirects=False
    )
    return response.status, await response.text(), response.headers.get("Location", "")


async def events(web: Web) -> list[Event]:
    async with web.sessions() as db:
        return list((await db.scalars(select(Event).order_by(Event.id))).all())


async def test_a_photo_with_a_new_event_is_stored_as_its_file_id(photos: Photos) -> None:
    status, page, location = await post(
        photos.client, "/events/new", good_form(title=f"Coffee {SCRIPT}"), JPEG
    )
    assert status == 303, page
    [event] = await events(photos.web)
    assert location == f"/events/{event.id}?done=published"
    [message] = photos.sent()
    assert message["caption"] == f"Photo for Coffee {SCRIPT}, uploaded on the dashboard"
    largest = max(message["photo"], key=lambda size: size["width"])
    assert event.photo_file_id == largest["file_id"]
    assert photos.state.files[largest["file_id"]].data == JPEG


async def test_the_preview_carries_the_photo_to_publish_without_a_second_upload(
    photos: Photos,
) -> None:
    status, page, _ = await post(
        photos.client, "/events/new", good_form(action="preview"), PNG, filename="p.png"
    )
    assert status == 200 and "With the photo you chose." in page
    assert await events(photos.web) == []
    [message] = photos.sent()
    file_id = message["photo"][-1]["file_id"]
    assert f'name="photo_file_id" value="{file_id}"' in page
    status, page, _ = await post(
        photos.client, "/events/new", good_form(photo_file_id=file_id), None
    )
    assert status == 303, page
    [event] = await events(photos.web)
    assert event.photo_file_id == file_id and len(photos.sent()) == 1
    # A forged hidden value that is no file id is ignored.
    await post(photos.client, "/events/new", good_form(photo_file_id="../x y"), None)
    assert (await events(photos.web))[-1].photo_file_id is None


async def test_editing_keeps_replaces_or_removes_the_photo(photos: Photos) -> None:
    await post(photos.client, "/events/new", good_form(), JPEG)
    [event] = await events(photos.web)
    first = event.photo_file_id
    edit = f"/events/{event.id}/edit"
    page = await (await photos.client.get(edit)).text()
    assert 'enctype="multipart/form-data"' in page and "Remove the event's photo" in page

    async def save(photo: bytes | None, **extra: str) -> Event:
        [now] = await events(photos.web)
        fields = good_form(action="save", sequence=str(now.sequence), **extra)
        status, text, _ = await post(photos.client, edit, fields, photo, filename="p.png")
        assert status == 303, text
        [after] = await events(photos.web)
        return after

    assert (await save(None, description="Tea.")).photo_file_id == first
    replaced = await save(PNG)
    assert replaced.photo_file_id not in (None, first)
    assert photos.state.files[replaced.photo_file_id].data == PNG
    assert (await save(None, remove_photo="yes")).photo_file_id is None


async def test_what_is_not_a_photo_or_too_big_is_refused_with_values_kept(
    photos: Photos,
) -> None:
    for content, words in [
        (b"just some text, named like a photo\n", "not a JPEG or PNG photo"),
        (b"GIF89a" + b"\x00" * 100, "not a JPEG or PNG photo"),
        (JPEG + b"\x00" * (BIG - len(JPEG)), "too large"),
    ]:
        status, page, _ = await post(
            photos.client, "/events/new", good_form(title=f"Fair {SCRIPT}"), content
        )
        assert status == 400 and words in page
        assert "Fair &lt;script&gt;alert(1)&lt;/script&gt;" in page and SCRIPT not in page
        assert 'value="Riverside hall"' in page
    assert await events(photos.web) == [] and photos.sent() == []


async def test_exactly_ten_megabytes_passes_and_a_huge_body_is_cut_off(photos: Photos) -> None:
    limit = forms.FILE_BYTES
    edge = JPEG + b"\x00" * (limit - len(JPEG))
    status, page, _ = await post(photos.client, "/events/new", good_form(), edge)
    assert status == 303, page
    [event] = await events(photos.web)
    assert event.photo_file_id is not None
    assert len(photos.state.files[event.photo_file_id].data) == limit
    huge = b"\xff\xd8\xff" + b"\x00" * (forms.BODY_BYTES + 10)
    status, _, _ = await post(photos.client, "/events/new", good_form(), huge)
    assert status == 413 and len(await events(photos.web)) == 1


async def test_an_empty_file_input_is_no_photo(photos: Photos) -> None:
    status, page, _ = await post(photos.client, "/events/new", good_form(), None)
    assert status == 303, page
    [event] = await events(photos.web)
    assert event.photo_file_id is None and photos.sent() == []


async def test_telegram_refusing_or_unreachable_saves_nothing(
    photos: Photos, web_factory: WebFactory
) -> None:
    photos.state.chats.pop(photos.chat_id)  # the member never started the bot
    status, page, _ = await post(photos.client, "/events/new", good_form(title="Quiz"), JPEG)
    assert status == 400 and "Telegram did not take the photo" in page
    assert "chat not found" in page and 'value="Quiz"' in page

    closed = await web_factory(
        telegram_bot_token=TEST_TOKEN, telegram_api_base_url=f"http://127.0.0.1:{free_port()}/bot"
    )
    client, _ = await staff_client(closed, "ola")
    status, page, _ = await post(client, "/events/new", good_form(title="Quiz night"), JPEG)
    assert status == 400 and "Telegram could not be reached" in page
    assert 'value="Quiz night"' in page and TEST_TOKEN not in page
    text = f"Bin day {SCRIPT}"
    token = await page_token(client, "/announcements/new")
    response = await client.post(
        "/announcements/new", data=multipart(token, {"text": text, "when": "now"}, JPEG)
    )
    page = await response.text()
    assert response.status == 400 and "Telegram could not be reached" in page
    assert "Bin day &lt;script&gt;" in page
    assert await events(photos.web) == []
    async with photos.web.sessions() as db:
        assert await db.scalar(select(func.count()).select_from(Announcement)) == 0


async def test_csrf_is_still_checked_on_multipart_posts(photos: Photos) -> None:
    for token in (None, "forged-token"):
        for path in ("/events/new", "/announcements/new"):
            fields = {**good_form(), "text": "Hello", "when": "now"}
            status, page, _ = await post(photos.client, path, fields, JPEG, token=token)
            assert status == 403 and "Form expired" in page, (path, token)
    assert await events(photos.web) == [] and photos.sent() == []


async def test_an_announcement_with_a_photo_goes_to_residents_as_a_photo(
    photos: Photos, places: Places
) -> None:
    news = places.topics["news"]
    await add_resident(photos.web.sessions, 650_001, area=places.riverside, topics=[news])
    token = await page_token(photos.client, "/announcements/new")
    form = await (await photos.client.get("/announcements/new")).text()
    assert 'enctype="multipart/form-data"' in form and 'name="photo"' in form
    fields = {"text": "<b>Fun day</b> " + "x" * 1100, "area": places.riverside, "when": "now"}
    response = await photos.client.post("/announcements/new", data=multipart(token, fields, JPEG))
    page = await response.text()
    assert response.status == 400 and "A photo&#39;s caption can be at most 1024" in page
    [message] = photos.sent()  # it is stored already: the form keeps it
    file_id = message["photo"][-1]["file_id"]
    assert f'name="photo_file_id" value="{file_id}"' in page
    assert message["caption"] == "Photo for an announcement, uploaded on the dashboard"

    fields = {**fields, "text": "<b>Fun day</b> on Saturday", "photo_file_id": file_id}
    response = await photos.client.post("/announcements/new", data=multipart(token, fields, None))
    page = await response.text()
    assert response.status == 200 and "a photo is attached" in page, page
    draft = draft_id_of(page)
    change = await (await photos.client.get(f"/announcements/new?draft={draft}")).text()
    assert f'value="{file_id}"' in change  # "Change it" keeps the photo
    confirm = await photos.client.post(
        f"/announcements/{draft}/confirm",
        data={"csrf_token": await page_token(photos.client, "/announcements")},
        allow_redirects=False,
    )
    assert confirm.status == 303
    async with photos.web.sessions() as db:
        row = await db.get(Announcement, draft)
        [delivery] = (await db.scalars(select(Delivery))).all()
    assert row is not None and row.photo_file_id == file_id
    assert delivery.chat_id == 650_001 and delivery.payload["photo"] == file_id
    assert delivery.payload["text"] == "<b>Fun day</b> on Saturday"
    assert len(photos.sent()) == 1


async def test_an_announcement_photo_can_be_left_out(photos: Photos, places: Places) -> None:
    token = await page_token(photos.client, "/announcements/new")
    fields = {"text": "Hello " + "y" * 1100, "when": "now", "remove_photo": "yes"}
    fields["photo_file_id"] = "AgACAgQAAxkBAAI"
    response = await photos.client.post("/announcements/new", data=multipart(token, fields, None))
    page = await response.text()
    assert response.status == 200 and "a photo is attached" not in page, page
    async with photos.web.sessions() as db:
        row = await db.get(Announcement, draft_id_of(page))
    assert row is not None and row.photo_file_id is None


@pytest.mark.browser
async def test_a_photo_chosen_in_a_real_browser_goes_with_the_event(
    photos: Photos, artifacts_dir: Path, database_url: str, tmp_path: Path
) -> None:
    ensure_chromium()
    base = str(photos.web.server.make_url("/")).rstrip("/")
    picture = tmp_path / "walk.jpg"
    picture.write_bytes(JPEG)
    fields = good_form()
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page(viewport={"width": 390, "height": 844})
            await page.goto(f"{base}/events/new")
            await page.get_by_label("Username").fill("sam")
            await page.get_by_label("Password").fill(PASSWORDS["staff"])
            await page.get_by_role("button", name="Log in").click()
            await expect(page.get_by_role("heading", name="New event")).to_be_visible(
                timeout=TIMEOUT_MS
            )
            await page.get_by_label("Title").fill("Photo walk")
            await page.get_by_label("What happens").fill(fields["description"])
            await page.get_by_label("Where").fill(fields["place"])
            starts = page.get_by_role("group", name=re.compile("^Starts"))
            await starts.get_by_label("Date").fill(fields["start_date"])
            await starts.get_by_label("Time").fill("10:00")
            ends = page.get_by_role("group", name=re.compile("^Ends"))
            await ends.get_by_label("Time").fill("12:00")
            await page.get_by_label("Choose a photo").set_input_files(str(picture))
            await page.get_by_role("button", name="Preview").click()
            await expect(page.get_by_text("With the photo you chose.")).to_be_visible(
                timeout=TIMEOUT_MS
            )
            assert await page.evaluate("document.documentElement.scrollWidth") <= 390
            if database_url.startswith("sqlite"):
                await page.screenshot(
                    path=str(artifacts_dir / "dashboard-event-photo-preview.png"), full_page=True
                )
            await page.get_by_role("button", name="Publish").click()
            await expect(page.get_by_text("The event is published")).to_be_visible(
                timeout=TIMEOUT_MS
            )
        finally:
            await browser.close()
    [event] = await events(photos.web)
    [message] = photos.sent()
    file_id = message["photo"][-1]["file_id"]
    assert event.title == "Photo walk" and event.photo_file_id == file_id
    assert photos.state.files[file_id].data == JPEG
