"""An admin erases a resident's data from the dashboard's residents list, over real HTTP on
each database: the same erasure as /forget, ticked to confirm, audited, admins only."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.staff.service import set_staff_neighbourhoods
from tests.privacy.records import afterwards, ann_with_a_place_ben_waiting, erased
from tests.support.broadcasts import Places
from tests.support.web import Web, page_token

Sessions = async_sessionmaker[AsyncSession]
ERASE = "Erase this resident's data"


async def test_an_admin_erases_a_resident_from_the_list(
    web: Web, sessions: Sessions, places: Places, staff_id: int
) -> None:
    erasable = await ann_with_a_place_ben_waiting(sessions, places, staff_id)
    admin = await web.logged_in("admin", "priya")
    listed = await (await admin.get("/residents")).text()
    assert f'action="/residents/{erasable.ann}/erase"' in listed and ERASE in listed
    token = await page_token(admin, "/residents")

    unticked = await admin.post(f"/residents/{erasable.ann}/erase", data={"csrf_token": token})
    assert unticked.status == 400 and "Tick the box" in await unticked.text()
    assert (await afterwards(sessions, erasable)).ann.forgotten_at is None

    done = await admin.post(
        f"/residents/{erasable.ann}/erase",
        data={"csrf_token": token, "confirm": "yes"},
        allow_redirects=False,
    )
    assert done.status == 303 and done.headers["Location"] == "/residents?done=erased"
    page = await (await admin.get("/residents?done=erased")).text()
    assert "The resident&#39;s data has been erased." in page
    assert f"Resident #{erasable.ann}<" not in page and f"Resident #{erasable.ben}<" in page
    after = await afterwards(sessions, erasable)
    erased(after, erasable)
    [line] = after.audit
    assert (line.actor, line.subject_id) == ("web:priya", str(erasable.ann))

    again = await admin.post(
        f"/residents/{erasable.ann}/erase", data={"csrf_token": token, "confirm": "yes"}
    )
    assert again.status == 400
    assert "already been erased" in await again.text()
    assert len((await afterwards(sessions, erasable)).audit) == 1
    nobody = await admin.post(
        "/residents/999999/erase", data={"csrf_token": token, "confirm": "yes"}
    )
    assert nobody.status == 404


async def test_staff_and_viewers_cannot_erase_a_resident(
    web: Web, sessions: Sessions, places: Places, staff_id: int
) -> None:
    erasable = await ann_with_a_place_ben_waiting(sessions, places, staff_id)
    async with sessions.begin() as db:
        await set_staff_neighbourhoods(db, staff_id, ["riverside"], actor="test")
    staff = await web.logged_in("staff", staff_member_id=staff_id)
    listed = await (await staff.get("/residents")).text()
    assert f"Resident #{erasable.ann}<" in listed and ERASE not in listed
    for role, client in [("staff", staff), ("viewer", await web.logged_in("viewer"))]:
        token = await page_token(client)
        refused = await client.post(
            f"/residents/{erasable.ann}/erase", data={"csrf_token": token, "confirm": "yes"}
        )
        assert refused.status == 403, role
    after = await afterwards(sessions, erasable)
    assert after.ann.forgotten_at is None and after.audit == []
    assert after.bookings == [("booked", erasable.ann), ("waitlisted", erasable.ben)]
