"""The association's dashboard pages over real HTTP on each database: settings, neighbourhoods
(with posters), topics and the residents list; bad input, forged ids, roles and CSRF."""

from __future__ import annotations

from datetime import time, timedelta

from sqlalchemy import select

from bot.association.service import effective_settings
from bot.models import (
    AuditEntry,
    Event,
    EventBooking,
    Feedback,
    Neighbourhood,
    Resident,
    StaffMember,
    Topic,
    resident_topics,
)
from bot.models.base import utcnow
from bot.residents.service import add_neighbourhood, neighbourhood_by_code
from bot.staff.service import set_staff_neighbourhoods
from bot.web.app import COMPONENTS
from tests.association.test_service import FORM
from tests.support.web import Web, page_token

SCRIPT = "<script>alert(1)</script>"


async def audit_actions(web: Web) -> list[tuple[str, dict]]:  # type: ignore[type-arg]
    async with web.sessions() as db:  # type: ignore[attr-defined]
        rows = (await db.scalars(select(AuditEntry).order_by(AuditEntry.id))).all()
    return [(row.action, row.details) for row in rows if not row.action.startswith("dashboard.")]


# ----- settings ----------------------------------------------------------------------------------


async def test_admin_changes_settings_and_every_reader_gets_them(web: Web) -> None:
    admin = await web.logged_in("admin", "priya")
    page = await admin.get("/settings")
    html = await page.text()
    assert page.status == 200 and "Association settings" in html
    assert 'value="21:00"' in html and 'value="08:00"' in html
    token = await page_token(admin, "/settings")
    saved = await admin.post(
        "/settings",
        data={**FORM, "csrf_token": token, "quiet_hours_start": "22:15", "homes": "4000"},
        allow_redirects=False,
    )
    assert saved.status == 303 and saved.headers["Location"] == "/settings?done=settings"
    shown = await (await admin.get("/settings?done=settings")).text()
    assert "The settings are saved" in shown and 'value="22:15"' in shown
    assert 'value="Riverside Homes"' in shown and "Configured: Your Housing Association" in shown
    async with web.sessions() as db:  # type: ignore[attr-defined]
        now = await effective_settings(db, _settings(web))
    assert now.quiet_hours_start == time(22, 15) and now.homes == 4000
    assert now.association_name == "Riverside Homes"
    [(action, details)] = await audit_actions(web)
    assert action == "settings.changed"
    assert details["before"]["quiet_hours_start"] == "21:00"
    assert details["after"]["quiet_hours_start"] == "22:15"


def _settings(web: Web):  # type: ignore[no-untyped-def]
    from bot.web.security import SETTINGS

    return web.app[SETTINGS]


async def test_bad_settings_are_refused_plainly_and_what_was_typed_is_kept(web: Web) -> None:
    admin = await web.logged_in("admin")
    token = await page_token(admin, "/settings")
    for change, words in [
        ({"association_name": ""}, "Association name: That message was empty"),
        ({"association_name": "n" * 121}, "Association name: That is too long"),
        ({"quiet_hours_start": "07:00", "quiet_hours_end": "07:00"}, "the same time"),
        ({"quiet_hours_end": "7pm"}, "Quiet hours end: type a time"),
        ({"retention_months": "two"}, "Retention of closed records"),
        ({"bank_holiday_region": "france"}, "Bank holidays"),
    ]:
        typed = {**FORM, "emergency_contacts": f"Call {SCRIPT} now", **change}
        refused = await admin.post("/settings", data={**typed, "csrf_token": token})
        html = await refused.text()
        assert refused.status == 400, change
        assert words in html, change
        assert f"Call {SCRIPT} now" not in html  # kept, and escaped
        assert "Call &lt;script&gt;alert(1)&lt;/script&gt; now" in html
    assert await audit_actions(web) == []


async def test_staff_and_viewers_cannot_see_or_change_settings(web: Web) -> None:
    for role in ("staff", "viewer"):
        client = await web.logged_in(role)
        assert (await client.get("/settings")).status == 403
        token = await page_token(client)
        refused = await client.post(
            "/settings", data={**FORM, "csrf_token": token, "association_name": "Hijacked"}
        )
        assert refused.status == 403
    admin = await web.logged_in("admin")
    no_token = await admin.post("/settings", data={**FORM, "association_name": "Hijacked"})
    assert no_token.status == 403 and "Form expired" in await no_token.text()
    async with web.sessions() as db:  # type: ignore[attr-defined]
        assert (await effective_settings(db, _settings(web))).association_name != "Hijacked"


# ----- neighbourhoods ----------------------------------------------------------------------------


async def test_admin_adds_renames_deactivates_neighbourhoods_and_residents_keep_them(
    web: Web,
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
    async with web.sessions.begin() as db:  # type: ignore[attr-defined]
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
    async with web.sessions() as db:  # type: ignore[attr-defined]
        kept = await db.get(Resident, resident.id)
        assert kept is not None and kept.neighbourhood_id == area.id
        assert await neighbourhood_by_code(db, "scripted") is None  # its link stops choosing it
        names = (await db.scalars(select(Neighbourhood.name).order_by(Neighbourhood.id))).all()
    assert names == ["Oak Rise", odd]
    back = await admin.post(
        f"/neighbourhoods/{area.id}/active", data={"csrf_token": token, "active": "yes"}
    )
    assert back.status == 200 and "Back on the list." in await back.text()
    actions = [(a, d) for a, d in await audit_actions(web)]
    assert [a for a, _ in actions] == [
        "neighbourhood.added",
        "neighbourhood.added",
        "neighbourhood.renamed",
        "neighbourhood.deactivated",
        "neighbourhood.reactivated",
    ]
    assert actions[2][1] == {"before": {"name": SCRIPT}, "after": {"name": "Oak Rise"}}


async def test_forged_neighbourhood_and_topic_ids_are_not_found(web: Web) -> None:
    admin = await web.logged_in("admin")
    token = await page_token(admin)
    for path in [
        "/neighbourhoods/999999/rename",
        "/neighbourhoods/0/active",
        "/neighbourhoods/99999999999999999999/rename",
        "/neighbourhoods/-1/active",
        "/neighbourhoods/%C2%B2/active",
        "/topics/424242/rename",
    ]:
        response = await admin.post(path, data={"csrf_token": token, "name": "x", "active": "no"})
        assert response.status == 404, path
    for path in ["/neighbourhoods/999999/poster", "/neighbourhoods/1e3/poster"]:
        assert (await admin.get(path)).status == 404, path


async def test_the_poster_has_the_name_a_qr_code_of_the_deep_link_and_print_css(web: Web) -> None:
    web.app[COMPONENTS].bot_username = "DoorstepTestBot"
    async with web.sessions.begin() as db:  # type: ignore[attr-defined]
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


# ----- topics ------------------------------------------------------------------------------------


async def test_admin_adds_renames_and_deactivates_topics_and_followers_keep_them(
    web: Web,
) -> None:
    admin = await web.logged_in("admin")
    token = await page_token(admin, "/topics")
    added = await admin.post(
        "/topics",
        data={"csrf_token": token, "code": "gardens", "name": SCRIPT, "name_cy": ""},
        allow_redirects=False,
    )
    assert added.status == 303
    html = await (await admin.get("/topics")).text()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and SCRIPT not in html
    duplicate = await admin.post(
        "/topics", data={"csrf_token": token, "code": "GARDENS", "name": "Gardens"}
    )
    assert duplicate.status == 400 and "already exists" in await duplicate.text()
    empty = await admin.post("/topics", data={"csrf_token": token, "code": "x", "name": " "})
    assert empty.status == 400 and "empty" in await empty.text()
    async with web.sessions.begin() as db:  # type: ignore[attr-defined]
        topic = await db.scalar(select(Topic).where(Topic.code == "gardens"))
        assert topic is not None
        resident = Resident(telegram_user_id=5, chat_id=5)
        db.add(resident)
        await db.flush()
        await db.execute(
            resident_topics.insert().values(resident_id=resident.id, topic_id=topic.id)
        )
    renamed = await admin.post(
        f"/topics/{topic.id}/rename",
        data={"csrf_token": token, "name": "Gardens", "name_cy": "Gerddi"},
    )
    assert renamed.status == 200
    off = await admin.post(f"/topics/{topic.id}/active", data={"csrf_token": token, "active": "no"})
    assert off.status == 200 and "off the list" in await off.text()
    async with web.sessions() as db:  # type: ignore[attr-defined]
        row = await db.get(Topic, topic.id)
        follows = (await db.execute(select(resident_topics))).all()
    assert row is not None and (row.name, row.name_cy, row.active) == ("Gardens", "Gerddi", False)
    assert len(follows) == 1
    assert [a for a, _ in await audit_actions(web)] == [
        "topic.added",
        "topic.renamed",
        "topic.deactivated",
    ]


# ----- residents ---------------------------------------------------------------------------------


async def test_staff_see_only_their_neighbourhoods_residents_without_identifying_details(
    web: Web,
) -> None:
    async with web.sessions.begin() as db:  # type: ignore[attr-defined]
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
