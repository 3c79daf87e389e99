"""An admin erases a resident's data from the dashboard's residents list, over real HTTP on
each database: the same erasure as /forget, ticked to confirm, audited, admins only; the
answer shows which reports were kept as evidence, why and until when."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.staff.service import set_staff_neighbourhoods
from tests.privacy.records import (
    COMPLAINT,
    DAMP,
    afterwards,
    ann_with_a_place_ben_waiting,
    erased,
    exception_recorded,
)
from tests.support.broadcasts import Places, add_resident
from tests.support.web import Web, page_token

Sessions = async_sessionmaker[AsyncSession]
ERASE = "Erase this resident's data"
OPEN = "open: until it is closed, then 72 months"


def kept_row(report_id: int, reference: str, kind: str, until: str) -> str:
    """A kept report's row on the answer page."""
    link = f'<a href="/feedback/{report_id}">{reference}</a>'
    return f'<td class="nowrap">{link}</td><td>{kind}</td><td>{until}</td>'


async def test_an_admin_erases_a_resident_from_the_list_and_sees_what_was_kept(
    web: Web, sessions: Sessions, places: Places, staff_id: int
) -> None:
    erasable = await ann_with_a_place_ben_waiting(sessions, places, staff_id)
    admin = await web.logged_in("admin", "priya")
    listed = await (await admin.get("/residents")).text()
    assert f'action="/residents/{erasable.ann}/erase"' in listed and ERASE in listed
    token = await page_token(admin, "/residents")

    unticked = await admin.post(f"/residents/{erasable.ann}/erase", data={"csrf_token": token})
    assert unticked.status == 400 and "Tick the box" in await unticked.text()
    assert "Nothing has been erased." in await unticked.text()
    assert (await afterwards(sessions, erasable)).ann.forgotten_at is None

    done = await admin.post(
        f"/residents/{erasable.ann}/erase", data={"csrf_token": token, "confirm": "yes"}
    )
    assert done.status == 200
    page = await done.text()
    assert f"Resident #{erasable.ann}'s data has been erased" in page
    assert (
        "Exception applied: UK GDPR Article 17(3)(b) and (e): legal obligation, legal claims"
        in page
    )
    assert kept_row(erasable.reports[COMPLAINT], COMPLAINT, "complaint", OPEN) in page
    assert kept_row(erasable.reports[DAMP], DAMP, "damp and mould hazard", "02 Mar 2032") in page
    listed = await (await admin.get("/residents")).text()
    assert f"Resident #{erasable.ann}<" not in listed and f"Resident #{erasable.ben}<" in listed
    after = await afterwards(sessions, erasable)
    at = after.ann.forgotten_at  # now, on 10 June 2026
    assert at is not None and at.date() == date(2026, 6, 10)
    erased(after, erasable, at)
    [line] = after.audit
    exception_recorded(line, erasable, "web:priya", at)

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


async def test_an_erasure_that_keeps_nothing_says_so(
    web: Web, sessions: Sessions, places: Places
) -> None:
    resident_id = await add_resident(sessions, 4300, area=places.riverside, topics=[])
    admin = await web.logged_in("admin", "priya")
    token = await page_token(admin, "/residents")
    done = await admin.post(
        f"/residents/{resident_id}/erase", data={"csrf_token": token, "confirm": "yes"}
    )
    page = await done.text()
    assert done.status == 200 and "Nothing was kept" in page and "Kept as evidence" not in page


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
