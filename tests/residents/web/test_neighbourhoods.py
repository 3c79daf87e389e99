"""The neighbourhoods pages over real HTTP on each database: adding, renaming, taking off
the list (residents keep theirs), forged ids, and the printable QR poster."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.models import AuditEntry, Neighbourhood, Resident
from bot.residents.service import add_neighbourhood, neighbourhood_by_code
from bot.web.app import COMPONENTS
from tests.support.web import Web, page_token

Sessions = async_sessionmaker[AsyncSession]
SCRIPT = "<script>alert(1)</script>"


async def audit_actions(sessions: Sessions) -> list[tuple[str, dict[str, Any]]]:
    """The audit log's actions and details, but the dashboard's own (logins and such)."""
    async with sessions() as db:
        rows = (await db.scalars(select(AuditEntry).order_by(AuditEntry.id))).all()
    return [(row.action, row.details) for row in rows if not row.action.startswith("dashboard.")]


async def test_admin_adds_renames_deactivates_neighbourhoods_and_residents_keep_them(
    web: Web, sessions: Sessions
) -> None:
    web.app[COMPONENTS].bot_username = "DoorstepTestBot"
    admin = await web.logged_in("admin")
    token = await page_token(admin, "/neighbourhoods")
    added = await admin.post(
        "/neighbourhoods",
        data={"csrf_token": token, "name": SCRIPT, "code": "Scripted"},
        allow_redirects=False,
    )
    assert added.status == 303
    html = await (await admin.get("/neighbourhoods?done=added")).text()
    assert SCRIPT not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "https://t.me/DoorstepTestBot?start=scripted" in html
    async with sessions.begin() as db:
        area = await db.scalar(select(Neighbourhood).where(Neighbourhood.code == "scripted"))
        assert area is not None
        resident = Resident(telegram_user_id=9, chat_id=9, neighbourhood_id=area.id)
        db.add(resident)
    for data, words in [
        ({"name": "Again", "code": "SCRIPTED"}, "already exists"),
        ({"name": "Spaces", "code": "has space"}, "A code is 1 to 32"),
        ({"name": "Long code", "code": "c" * 33}, "A code is 1 to 32"),
        ({"name": "Invite", "code": "staff-abc"}, "staff invites"),
        ({"name": "", "code": "empty"}, "That message was empty"),
        ({"name": "n" * 121, "code": "long"}, "That is too long"),
        ({"name": "Zero\u200bwidth\nline", "code": "zw"}, "one line"),
    ]:
        refused = await admin.post("/neighbourhoods", data={"csrf_token": token, **data})
        text = await refused.text()
        assert refused.status == 400 and words in text, data
        assert f'value="{data["code"]}"' in text  # the form keeps what was typed
    odd = "Tŷ Newydd \U0001f3e0 \u202eEstate"
    assert (
        await admin.post("/neighbourhoods", data={"csrf_token": token, "name": odd, "code": "ty"})
    ).status == 200

    renamed = await admin.post(
        f"/neighbourhoods/{area.id}/rename", data={"csrf_token": token, "name": "Oak Rise"}
    )
    assert renamed.status == 200 and "Renamed." in await renamed.text()
    off = await admin.post(
        f"/neighbourhoods/{area.id}/active", data={"csrf_token": token, "active": "no"}
    )
    assert off.status == 200 and "Residents who chose it keep it" in await off.text()
    async with sessions() as db:
        kept = await db.get(Resident, resident.id)
        assert kept is not None and kept.neighbourhood_id == area.id
        assert await neighbourhood_by_code(db, "scripted") is None  # its link stops choosing it
        names = (await db.scalars(select(Neighbourhood.name).order_by(Neighbourhood.id))).all()
    assert names == ["Oak Rise", odd]
    back = await admin.post(
        f"/neighbourhoods/{area.id}/active", data={"csrf_token": token, "active": "yes"}
    )
    assert back.status == 200 and "Back on the list." in await back.text()
    actions = [(a, d) for a, d in await audit_actions(sessions)]
    assert [a for a, _ in actions] == [
        "neighbourhood.added",
        "neighbourhood.added",
        "neighbourhood.renamed",
        "neighbourhood.deactivated",
        "neighbourhood.reactivated",
    ]
    assert actions[2][1] == {"before": {"name": SCRIPT}, "after": {"name": "Oak Rise"}}


async def test_admin_says_which_neighbourhoods_are_in_england(web: Web, sessions: Sessions) -> None:
    async with sessions.begin() as db:
        area = await add_neighbourhood(db, "wrexham", "Acton Park, Wrexham")
    assert area.in_england  # the default: an association in England
    admin = await web.logged_in("admin")
    token = await page_token(admin, "/neighbourhoods")
    wales = await admin.post(
        f"/neighbourhoods/{area.id}/england", data={"csrf_token": token, "in_england": "no"}
    )
    assert wales.status == 200 and "clocks only if it is in England" in (await wales.text())
    again = await admin.post(
        f"/neighbourhoods/{area.id}/england", data={"csrf_token": token, "in_england": "no"}
    )
    assert again.status == 200
    async with sessions() as db:
        row = await db.get(Neighbourhood, area.id)
    assert row is not None and not row.in_england
    assert await audit_actions(sessions) == [
        (
            "neighbourhood.in_england_changed",
            {"before": {"in_england": True}, "after": {"in_england": False}},
        )
    ]  # once: the second press changed nothing
    staff = await web.logged_in("staff", "sam")
    refused = await staff.post(
        f"/neighbourhoods/{area.id}/england",
        data={"csrf_token": await page_token(staff), "in_england": "yes"},
    )
    assert refused.status == 403


async def test_forged_neighbourhood_and_topic_ids_are_not_found(web: Web) -> None:
    admin = await web.logged_in("admin")
    token = await page_token(admin)
    for path in [
        "/neighbourhoods/999999/rename",
        "/neighbourhoods/0/active",
        "/neighbourhoods/0/england",
        "/neighbourhoods/99999999999999999999/rename",
        "/neighbourhoods/-1/active",
        "/neighbourhoods/%C2%B2/active",
        "/topics/424242/rename",
    ]:
        response = await admin.post(path, data={"csrf_token": token, "name": "x", "active": "no"})
        assert response.status == 404, path
    for path in ["/neighbourhoods/999999/poster", "/neighbourhoods/1e3/poster"]:
        assert (await admin.get(path)).status == 404, path


async def test_the_poster_has_the_name_a_qr_code_of_the_deep_link_and_print_css(
    web: Web, sessions: Sessions
) -> None:
    web.app[COMPONENTS].bot_username = "DoorstepTestBot"
    async with sessions.begin() as db:
        area = await add_neighbourhood(db, "riverside", f"Riverside {SCRIPT}")
    admin = await web.logged_in("admin")
    response = await admin.get(f"/neighbourhoods/{area.id}/poster")
    html = await response.text()
    assert response.status == 200
    assert "<svg" in html and "https://t.me/DoorstepTestBot?start=riverside" in html
    assert "Riverside &lt;script&gt;" in html and SCRIPT not in html
    assert "<script" not in html.lower()
    assert "Your Housing Association" in html  # the association's name in force
    css = await (await admin.get("/static/dashboard.css")).text()
    assert "@media print" in css and ".poster-qr svg" in css

    web.app[COMPONENTS].bot_username = None  # the bot not started: no QR with a wrong link
    html = await (await admin.get(f"/neighbourhoods/{area.id}/poster")).text()
    assert "<svg" not in html and "username is not known" in html


async def test_admin_sets_a_neighbourhoods_tenure_for_the_survey(
    web: Web, sessions: Sessions
) -> None:
    async with sessions.begin() as db:
        area = await add_neighbourhood(db, "meadow", "Meadow Court")
    assert area.tenure is None  # unset: the survey takes it as LCRA
    admin = await web.logged_in("admin")
    page = await (await admin.get("/neighbourhoods")).text()
    assert f'action="/neighbourhoods/{area.id}/tenure"' in page
    assert '<option value="lcra" selected>Low-cost rental accommodation (LCRA)</option>' in page
    token = await page_token(admin, "/neighbourhoods")
    same = await admin.post(
        f"/neighbourhoods/{area.id}/tenure", data={"csrf_token": token, "tenure": "lcra"}
    )
    assert same.status == 200  # what it already had: nothing changes, nothing audited
    shared = await admin.post(
        f"/neighbourhoods/{area.id}/tenure", data={"csrf_token": token, "tenure": "lcho"}
    )
    text = await shared.text()
    assert shared.status == 200 and "unless their own tenancy says otherwise" in text
    assert '<option value="lcho" selected>Low-cost home ownership (LCHO)</option>' in text
    leasehold = await admin.post(
        f"/neighbourhoods/{area.id}/tenure", data={"csrf_token": token, "tenure": "none"}
    )
    assert leasehold.status == 200
    forged = await admin.post(
        f"/neighbourhoods/{area.id}/tenure", data={"csrf_token": token, "tenure": "freehold"}
    )
    assert forged.status == 400 and "Choose one of the tenures listed." in await forged.text()
    async with sessions() as db:
        row = await db.get(Neighbourhood, area.id)
    assert row is not None and row.tenure == "none"
    assert await audit_actions(sessions) == [
        ("neighbourhood.tenure_changed", {"before": {"tenure": None}, "after": {"tenure": "lcho"}}),
        (
            "neighbourhood.tenure_changed",
            {"before": {"tenure": "lcho"}, "after": {"tenure": "none"}},
        ),
    ]
    assert (await admin.post("/neighbourhoods/0/tenure", data={"csrf_token": token})).status == 404
    for role in ("staff", "viewer"):
        other = await web.logged_in(role, f"{role}-tenure")
        refused = await other.post(
            f"/neighbourhoods/{area.id}/tenure",
            data={"csrf_token": await page_token(other), "tenure": "lcra"},
        )
        assert refused.status == 403, role
    async with sessions() as db:
        row = await db.get(Neighbourhood, area.id)
    assert row is not None and row.tenure == "none"
