"""A resident's tenancy over real HTTP on each database: staff and admins set and clear the
tenure and tenancy reference from the residents list; bad input is refused with what was
typed kept; viewers, other neighbourhoods' staff and erased residents get nowhere; every
change is audited without the reference itself."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.models import AuditEntry, Resident, StaffMember
from bot.models.base import utcnow
from bot.residents.service import add_neighbourhood, clean_household_ref, set_neighbourhood_tenure
from bot.staff.service import set_staff_neighbourhoods
from tests.support.web import Web, page_token

Sessions = async_sessionmaker[AsyncSession]
SCRIPT = "<script>alert(1)</script>"


async def audit_actions(sessions: Sessions) -> list[tuple[str, str | None, dict[str, Any]]]:
    """The audit log's actions, subjects and details, but the dashboard's own (logins)."""
    async with sessions() as db:
        rows = (await db.scalars(select(AuditEntry).order_by(AuditEntry.id))).all()
    return [
        (row.action, row.subject_id, row.details)
        for row in rows
        if not row.action.startswith(("dashboard.", "neighbourhood.", "staff."))
    ]


async def stored(sessions: Sessions, resident_id: int) -> tuple[str | None, str | None]:
    async with sessions() as db:
        resident = await db.get(Resident, resident_id)
    assert resident is not None
    return resident.tenure, resident.household_ref


async def test_staff_set_and_clear_a_residents_tenure_and_tenancy_reference(
    web: Web, sessions: Sessions
) -> None:
    async with sessions.begin() as db:
        area = await add_neighbourhood(db, "riverside", "Riverside Estate")
        await set_neighbourhood_tenure(db, area, "lcho", actor="test")
        member = StaffMember(telegram_user_id=88, chat_id=88, name="Val", role="staff")
        resident = Resident(telegram_user_id=7_000_000_001, chat_id=1, neighbourhood_id=area.id)
        db.add_all([member, resident])
        await db.flush()
        await set_staff_neighbourhoods(db, member.id, ["riverside"], actor="test")
        member_id, resident_id = member.id, resident.id
    staff = await web.logged_in("staff", staff_member_id=member_id)
    listing = await (await staff.get("/residents")).text()
    assert f'href="/residents/{resident_id}/tenancy"' in listing
    page = await staff.get(f"/residents/{resident_id}/tenancy")
    html = await page.text()
    assert page.status == 200 and "Riverside Estate" in html
    assert (
        '<option value="" selected>As the neighbourhood (Low-cost home ownership (LCHO))</option>'
        in html
    )
    assert "one response per household a year" in html
    token = await page_token(staff, f"/residents/{resident_id}/tenancy")
    path = f"/residents/{resident_id}/tenancy"

    saved = await staff.post(
        path,
        data={"csrf_token": token, "tenure": "lcra", "household_ref": "  T/0042-A.  7  "},
        allow_redirects=False,
    )
    assert saved.status == 303 and saved.headers["Location"] == f"{path}?done=saved"
    assert await stored(sessions, resident_id) == ("lcra", "T/0042-A. 7")
    again = await (await staff.get(f"{path}?done=saved")).text()
    assert "Saved." in again and 'value="T/0042-A. 7"' in again
    assert '<option value="lcra" selected>' in again

    unchanged = await staff.post(
        path, data={"csrf_token": token, "tenure": "lcra", "household_ref": "T/0042-A. 7"}
    )
    assert unchanged.status == 200  # nothing changed: nothing audited
    changed = await staff.post(
        path, data={"csrf_token": token, "tenure": "lcra", "household_ref": "T/0043"}
    )
    assert changed.status == 200
    cleared = await staff.post(path, data={"csrf_token": token, "tenure": "", "household_ref": ""})
    assert cleared.status == 200
    assert await stored(sessions, resident_id) == (None, None)

    entries = await audit_actions(sessions)
    assert entries == [
        (
            "resident.tenancy_changed",
            str(resident_id),
            {
                "resident": resident_id,
                "before": {"tenure": None},
                "after": {"tenure": "lcra"},
                "reference": "set",
            },
        ),
        (
            "resident.tenancy_changed",
            str(resident_id),
            {
                "resident": resident_id,
                "before": {"tenure": "lcra"},
                "after": {"tenure": "lcra"},
                "reference": "changed",
            },
        ),
        (
            "resident.tenancy_changed",
            str(resident_id),
            {
                "resident": resident_id,
                "before": {"tenure": "lcra"},
                "after": {"tenure": None},
                "reference": "cleared",
            },
        ),
    ]
    assert "T/004" not in repr(entries)  # the reference itself is never in the log


async def test_bad_input_is_refused_with_what_was_typed_kept(web: Web, sessions: Sessions) -> None:
    async with sessions.begin() as db:
        resident = Resident(telegram_user_id=7_000_000_002, chat_id=2, household_ref="H1")
        db.add(resident)
        await db.flush()
        resident_id = resident.id
    admin = await web.logged_in("admin")
    path = f"/residents/{resident_id}/tenancy"
    page = await (await admin.get(path)).text()
    assert "As the neighbourhood (none chosen, so Low-cost rental accommodation (LCRA))" in page
    token = await page_token(admin, path)
    for tenure, typed, words in [
        ("lcho", SCRIPT, "only letters A to Z, digits, spaces"),
        ("lcho", "A" * 65, "at most 64 characters (this one has 65)"),
        ("none", "Tŷ 12", "only letters A to Z"),
        ("none", "12\n13", "only letters A to Z"),
        ("freehold", "H2", "Choose one of the tenures listed."),
    ]:
        refused = await admin.post(
            path, data={"csrf_token": token, "tenure": tenure, "household_ref": typed}
        )
        text = await refused.text()
        assert refused.status == 400 and words in text, typed
        assert SCRIPT not in text
        kept = typed.replace("<", "&lt;").replace(">", "&gt;")
        assert f'value="{kept}"' in text, typed  # what was typed is kept
        if tenure != "freehold":
            assert f'<option value="{tenure}" selected>' in text
        assert 'aria-invalid="true"' in text
    assert await stored(sessions, resident_id) == (None, "H1")
    assert await audit_actions(sessions) == []


async def test_who_may_not_change_a_tenancy(web: Web, sessions: Sessions) -> None:
    async with sessions.begin() as db:
        mine = await add_neighbourhood(db, "riverside", "Riverside Estate")
        theirs = await add_neighbourhood(db, "oakfield", "Oakfield Gardens")
        member = StaffMember(telegram_user_id=88, chat_id=88, name="Val", role="staff")
        stranger = Resident(telegram_user_id=7_000_000_003, chat_id=3, neighbourhood_id=theirs.id)
        erased = Resident(neighbourhood_id=mine.id, forgotten_at=utcnow(), active=False)
        db.add_all([member, stranger, erased])
        await db.flush()
        await set_staff_neighbourhoods(db, member.id, ["riverside"], actor="test")
        member_id, stranger_id, erased_id = member.id, stranger.id, erased.id
    data = {"tenure": "lcho", "household_ref": "X1"}

    viewer = await web.logged_in("viewer")
    token = await page_token(viewer)
    assert (await viewer.get(f"/residents/{stranger_id}/tenancy")).status == 403
    refused = await viewer.post(
        f"/residents/{stranger_id}/tenancy", data={"csrf_token": token, **data}
    )
    assert refused.status == 403

    staff = await web.logged_in("staff", staff_member_id=member_id)
    token = await page_token(staff)
    for resident_id in (stranger_id, erased_id, 999_999, 0):
        path = f"/residents/{resident_id}/tenancy"
        assert (await staff.get(path)).status == 404, resident_id
        assert (await staff.post(path, data={"csrf_token": token, **data})).status == 404

    admin = await web.logged_in("admin")
    token = await page_token(admin)
    for path in [f"/residents/{erased_id}/tenancy", "/residents/99999999999999/tenancy"]:
        assert (await admin.get(path)).status == 404, path
        assert (await admin.post(path, data={"csrf_token": token, **data})).status == 404
    assert await stored(sessions, stranger_id) == (None, None)
    assert await stored(sessions, erased_id) == (None, None)
    assert await audit_actions(sessions) == []


def test_a_tenancy_reference_is_trimmed_and_its_spaces_made_one() -> None:
    assert clean_household_ref("  ") is None
    assert clean_household_ref(None) is None
    assert clean_household_ref("\tAB  12 / 3.\n") == "AB 12 / 3."
