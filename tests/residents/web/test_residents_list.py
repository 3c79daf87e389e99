"""The residents list over real HTTP on each database: paged, by neighbourhood, staff seeing
only their neighbourhoods' residents and nothing that identifies anyone."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.models import Event, EventBooking, Feedback, Resident, StaffMember
from bot.models.base import utcnow
from bot.residents.service import add_neighbourhood
from bot.staff.service import set_staff_neighbourhoods
from tests.support.web import Web

Sessions = async_sessionmaker[AsyncSession]
SCRIPT = "<script>alert(1)</script>"


async def test_staff_see_only_their_neighbourhoods_residents_without_identifying_details(
    web: Web, sessions: Sessions
) -> None:
    async with sessions.begin() as db:
        mine = await add_neighbourhood(db, "riverside", "Riverside Estate")
        theirs = await add_neighbourhood(db, "oakfield", "Oakfield Gardens")
        member = StaffMember(telegram_user_id=88, chat_id=88, name="Val", role="staff")
        db.add(member)
        await db.flush()
        await set_staff_neighbourhoods(db, member.id, ["riverside"], actor="test")
        residents = [
            Resident(
                telegram_user_id=7_000_000_000 + n,
                chat_id=7_000_000_000 + n,
                display_name=f"Secretname{n}",
                language="cy" if n == 0 else "en",
                neighbourhood_id=mine.id,
                active=n != 1,
            )
            for n in range(55)
        ]
        stranger = Resident(telegram_user_id=6_000_000_001, chat_id=1, neighbourhood_id=theirs.id)
        db.add_all([*residents, stranger])
        await db.flush()
        db.add(
            Feedback(
                reference="FB-2026-00001",
                category="repairs",
                description="x",
                resident_id=residents[0].id,
            )
        )
        events = [
            Event(
                title=f"Fun day {n}",
                description="Games",
                place="Hall",
                starts_at=utcnow() + timedelta(days=3 + n),
                ends_at=utcnow() + timedelta(days=3 + n, hours=2),
            )
            for n in range(3)
        ]
        db.add_all(events)
        await db.flush()
        db.add_all(
            EventBooking(
                event_id=event.id,
                resident_id=residents[0].id,
                party_size=1,
                status=status,
                position=1,
            )
            for event, status in zip(events, ["booked", "cancelled", "waitlisted"], strict=True)
        )
        member_id, first, stranger_id = member.id, residents[0].id, stranger.id
    staff = await web.logged_in("staff", staff_member_id=member_id)
    page1 = await staff.get("/residents")
    html = await page1.text()
    assert page1.status == 200 and "55 residents" in html and "Page 1 of 2" in html
    assert f"Resident #{stranger_id}<" not in html and "Oakfield Gardens</option>" not in html
    assert "Secretname" not in html and "7000000000" not in html
    page2 = await (await staff.get("/residents?page=2")).text()
    assert f"Resident #{first}<" in page2 and "Welsh" in page2
    row = page2[page2.index(f"Resident #{first}<") :].split("</tr>")[0]
    assert "<td>1</td>\n  <td>2</td>" in row  # one report, two bookings (one more cancelled)
    assert (await staff.get(f"/residents?neighbourhood={theirs.id}")).status == 404
    assert (await staff.get("/residents?page=abc")).status == 400
    assert (await staff.get("/residents?neighbourhood=1%200")).status == 400

    admin = await web.logged_in("admin")
    everyone = await (await admin.get(f"/residents?neighbourhood={theirs.id}")).text()
    assert "1 resident." in everyone and f"Resident #{stranger_id}<" in everyone
    viewer = await web.logged_in("viewer")
    assert (await viewer.get("/residents")).status == 403

    unlinked = await web.logged_in("staff", "unlinked")
    text = await (await unlinked.get("/residents")).text()
    assert "0 residents" in text and "not linked to a staff member" in text
