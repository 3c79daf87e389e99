"""Announcement tests: residents, staff, drafts and dashboard accounts made directly in the
database, and the steps a staff member takes through /announce."""

from __future__ import annotations

import asyncio
import itertools
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.broadcasts.audiences import Audience
from bot.broadcasts.lifecycle import Confirmed, Plan, confirm_announcement, save_draft
from bot.delivery.outbox import QuietHours
from bot.models import Broadcast, Delivery, Neighbourhood, Resident, StaffMember, Topic
from bot.models.base import utcnow
from bot.sandbox.client import SandboxUser
from bot.staff.service import set_staff_neighbourhoods
from tests.journeys import wait_for_button
from tests.support.harness import TEST_TOKEN, BotHarness, at_machine_speed, harness_settings

if TYPE_CHECKING:  # (imported for real, it would load before pytest can rewrite it)
    from tests.support.web import Web

Sessions = async_sessionmaker[AsyncSession]
Client = TestClient[web.Request, web.Application]  # a browser on the dashboard
TZ = ZoneInfo("Europe/London")
QUIET = QuietHours(time(21, 0), time(8, 0), TZ)


@dataclass(frozen=True)
class Places:
    """The ids tests pick audiences from."""

    riverside: int
    oakfield: int
    topics: dict[str, int]  # code -> id: news, events, repairs, consultations


@pytest.fixture
async def places(sessions: Sessions, neighbourhoods: None) -> Places:
    """Riverside Estate and Oakfield Gardens, and the seeded topics."""
    async with sessions() as session:
        areas = {n.code: n.id for n in await session.scalars(select(Neighbourhood))}
        topics = {t.code: t.id for t in await session.scalars(select(Topic))}
    return Places(areas["riverside"], areas["oakfield"], topics)


async def add_resident(
    sessions: Sessions,
    user_id: int,
    *,
    area: int | None,
    topics: list[int],
    active: bool = True,
    forgotten: bool = False,
    onboarded: bool = True,
    language: str = "en",
) -> int:
    """A resident as onboarding leaves them; returns the resident id."""
    now = utcnow()
    async with sessions.begin() as session:
        resident = Resident(
            telegram_user_id=None if forgotten else user_id,
            chat_id=None if forgotten else user_id,
            language=language,
            neighbourhood_id=area,
            consented_at=now,
            onboarded_at=now if onboarded else None,
            active=active and not forgotten,
            inactive_reason=None if active and not forgotten else "blocked",
            forgotten_at=now if forgotten else None,
        )
        if topics:
            resident.topics = list(
                (await session.scalars(select(Topic).where(Topic.id.in_(topics)))).all()
            )
        session.add(resident)
        await session.flush()
        return resident.id


async def add_staff(
    sessions: Sessions,
    user_id: int,
    *,
    name: str = "Sam",
    role: str = "staff",
    active: bool = True,
) -> int:
    """A staff member (until invites land, made directly); returns the staff id."""
    async with sessions.begin() as session:
        staff = StaffMember(
            telegram_user_id=user_id, chat_id=user_id, name=name, role=role, active=active
        )
        session.add(staff)
        await session.flush()
        return staff.id


async def staff_member(sessions: Sessions, user_id: int = 9001) -> StaffMember:
    """A staff member made for a service test, loaded."""
    staff_id = await add_staff(sessions, user_id)
    async with sessions() as session:
        staff = await session.get(StaffMember, staff_id)
    assert staff is not None
    return staff


async def delivered_to(sessions: Sessions, kind: str = "announcement") -> list[Delivery]:
    """Every outbox row of a kind, by chat."""
    async with sessions() as session:
        rows = await session.scalars(
            select(Delivery).where(Delivery.kind == kind).order_by(Delivery.chat_id)
        )
        return list(rows)


async def broadcast_count(sessions: Sessions) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Broadcast)) or 0)


def london(text: str) -> datetime:
    """A Europe/London wall-clock time ("2026-12-01 09:00") as an aware datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


NOON = london("2026-12-01 12:00").astimezone(UTC)  # a Tuesday


# ----- drafts and confirming, as the services see them -------------------------------------------


def announcement_plan(
    audience: Audience,
    *,
    text: str = "<b>Bin day</b> moves to Tuesday.",
    photo_file_id: str | None = None,
    urgent: bool = False,
    send_at: datetime | None = None,
    recurrence: str | None = None,
) -> Plan:
    """An announcement to ``audience``: by default bin day news, now, not urgent."""
    return Plan(text, photo_file_id, audience, urgent, send_at=send_at, recurrence=recurrence)


async def saved_draft(sessions: Sessions, staff: StaffMember, chosen: Plan) -> int:
    """The draft a preview keeps; returns its id."""
    async with sessions.begin() as session:
        return (await save_draft(session, chosen, staff.id)).id


async def confirmed(
    sessions: Sessions, announcement_id: int, staff: StaffMember, now: datetime = NOON
) -> Confirmed:
    """Confirm a draft in London with quiet hours 21:00-08:00."""
    async with sessions.begin() as session:
        return await confirm_announcement(
            session, announcement_id, staff, now=now, quiet_hours=QUIET, tz=TZ
        )


# ----- /announce in the sandbox ------------------------------------------------------------------

FIRST_CHAT = 700_001


def bold(message: dict[str, Any]) -> bool:
    """Whether a message shows some of its words in bold."""
    entities = message.get("entities") or message.get("caption_entities") or []
    return any(e["type"] == "bold" for e in entities)


async def staff_user(harness: BotHarness, name: str = "Sam") -> SandboxUser:
    """A sandbox user who is an active staff member (made directly, before invites)."""
    user = harness.user(name)
    await add_staff(harness.sessions, user.user_id, name=name)
    return user


async def resident_chat(harness: BotHarness, chat_id: int, **profile: Any) -> SandboxUser:
    """A resident made in the database, with a sandbox chat to receive announcements."""
    harness.state.ensure_user(chat_id, f"Resident {chat_id}")
    await add_resident(harness.sessions, chat_id, **profile)
    return harness.client.user(chat_id)


async def staff_with_a_reader(harness: BotHarness, places: Places) -> SandboxUser:
    """A staff user, and one resident (Riverside Estate, following News) to send to."""
    news = places.topics["news"]
    await resident_chat(harness, FIRST_CHAT, area=places.riverside, topics=[news])
    return await staff_user(harness)


async def choose(user: SandboxUser, labels: tuple[str, ...], everyone: str) -> None:
    """Tick the labels (or press the everyone button) and go on."""
    if not labels:
        await user.press(everyone)
        return
    for label in labels:
        await user.press(label)
        await wait_for_button(user, "✓ " + label)
    await user.press("Next")


async def compose_to_timing(
    user: SandboxUser,
    text: str,
    *,
    areas: tuple[str, ...] = (),
    topics: tuple[str, ...] = (),
) -> None:
    """/announce up to "When should it go out?" (no areas or topics ticked: everyone)."""
    await user.send("/announce")
    await user.wait_for_text("Send the announcement here")
    await user.send(text)
    await user.wait_for_text("Who should receive it?")
    await choose(user, areas, "All neighbourhoods")
    await user.wait_for_text("Which topics is it about?")
    await choose(user, topics, "All topics")
    await user.wait_for_text("When should it go out?")


async def compose(
    user: SandboxUser,
    text: str,
    *,
    areas: tuple[str, ...] = ("Riverside Estate",),
    topics: tuple[str, ...] = ("News",),
    urgent: bool = False,
) -> list[dict[str, Any]]:
    """/announce to the preview, sending now; returns the messages up to the summary."""
    await compose_to_timing(user, text, areas=areas, topics=topics)
    await user.press("Send now")
    await user.wait_for_text("Is it urgent?")
    await user.press("Urgent - send at any hour" if urgent else "Not urgent")
    return await user.wait_for_text("Recipients now:")


async def wait_newest(user: SandboxUser, fragment: str, timeout: float = 10.0) -> None:
    """Wait until the newest bot message says ``fragment`` (a question asked again)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if fragment in ((await user.last_bot_message()) or {}).get("text", ""):
            return
        await asyncio.sleep(0.02)
    raise TimeoutError(f"the newest message never said {fragment!r}")


def confirm_data(message: dict[str, Any]) -> str:
    """The callback data of the Confirm button under a preview's summary."""
    for row in message["reply_markup"]["inline_keyboard"]:
        for button in row:
            if button["text"].startswith("Confirm"):
                return str(button["callback_data"])
    raise AssertionError("no Confirm button")


async def outbox_settled(sessions: Sessions, timeout: float = 15.0) -> None:
    """Wait until the delivery worker has nothing queued or being sent."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        async with sessions() as session:
            waiting = await session.scalar(
                select(func.count())
                .select_from(Delivery)
                .where(Delivery.status.in_(("queued", "sending")))
            )
        if not waiting:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the outbox did not settle")


@pytest.fixture
async def open_doorstep(
    database_url: str, sessions: Sessions, neighbourhoods: None
) -> AsyncIterator[BotHarness]:
    """The harness with quiet hours switched off, so announcements go out whatever the hour."""
    from bot.runtime import running
    from bot.sandbox.client import SandboxClient
    from bot.sandbox.runner import start_sandbox
    from bot.sandbox.state import SandboxState

    state = SandboxState(TEST_TOKEN)
    at_machine_speed(state)
    runner, url = await start_sandbox(state)
    settings = harness_settings(
        database_url, url, quiet_hours_start="00:00", quiet_hours_end="00:00"
    )
    try:
        async with (
            SandboxClient(url) as client,
            running(settings, token=TEST_TOKEN) as runtime,
        ):
            yield BotHarness(client, runtime, sessions, state)
    finally:
        await runner.cleanup()


# ----- the dashboard -----------------------------------------------------------------------------

_telegram_ids = itertools.count(91_000)


def sessions_of(web: Web) -> Sessions:
    """The dashboard's session factory (the database under test)."""
    assert isinstance(web.sessions, async_sessionmaker)
    return web.sessions


async def staff_client(
    web: Web, username: str = "sam", areas: list[str] | None = None
) -> tuple[Client, int]:
    """A dashboard staff account linked to an active staff member (with these areas)."""
    async with sessions_of(web).begin() as db:
        telegram_id = next(_telegram_ids)
        member = StaffMember(
            telegram_user_id=telegram_id, chat_id=telegram_id, name=username.title(), role="staff"
        )
        db.add(member)
        await db.flush()
        if areas:
            await set_staff_neighbourhoods(db, member.id, areas, actor="cli")
        member_id = member.id
    return await web.logged_in("staff", username, staff_member_id=member_id), member_id


async def confirm_on_dashboard(client: Client, announcement_id: int) -> tuple[int, str]:
    """Press Confirm under a preview; the answer's status and where it redirects."""
    from tests.support.web import page_token  # (see Web above)

    token = await page_token(client, "/announcements")
    response = await client.post(
        f"/announcements/{announcement_id}/confirm",
        data={"csrf_token": token},
        allow_redirects=False,
    )
    return response.status, response.headers.get("Location", "")


def draft_id_of(page: str) -> int:
    """The id of the draft a preview page shows."""
    found = re.search(r'action="/announcements/(\d+)/discard"', page)
    assert found, "no preview"
    return int(found.group(1))
