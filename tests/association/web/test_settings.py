"""The settings page over real HTTP on each database: changes reach every reader, bad input
is refused with what was typed kept, and only admins may see or change it."""

from __future__ import annotations

from datetime import time
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.association.service import effective_settings
from bot.models import AuditEntry
from bot.web.security import SETTINGS
from tests.association.test_service import FORM
from tests.support.web import Web, page_token

Sessions = async_sessionmaker[AsyncSession]
SCRIPT = "<script>alert(1)</script>"


async def audit_actions(sessions: Sessions) -> list[tuple[str, dict[str, Any]]]:
    """The audit log's actions and details, but the dashboard's own (logins and such)."""
    async with sessions() as db:
        rows = (await db.scalars(select(AuditEntry).order_by(AuditEntry.id))).all()
    return [(row.action, row.details) for row in rows if not row.action.startswith("dashboard.")]


async def test_admin_changes_settings_and_every_reader_gets_them(
    web: Web, sessions: Sessions
) -> None:
    admin = await web.logged_in("admin", "priya")
    page = await admin.get("/settings")
    html = await page.text()
    assert page.status == 200 and "Association settings" in html
    assert 'value="21:00"' in html and 'value="08:00"' in html
    assert 'name="resolved_close_days" value="14"' in html
    token = await page_token(admin, "/settings")
    saved = await admin.post(
        "/settings",
        data={
            **FORM,
            "csrf_token": token,
            "quiet_hours_start": "22:15",
            "homes": "4000",
            "resolved_close_days": "30",
        },
        allow_redirects=False,
    )
    assert saved.status == 303 and saved.headers["Location"] == "/settings?done=settings"
    shown = await (await admin.get("/settings?done=settings")).text()
    assert "The settings are saved" in shown and 'value="22:15"' in shown
    assert 'value="Riverside Homes"' in shown and "Configured: Your Housing Association" in shown
    async with sessions() as db:
        now = await effective_settings(db, web.app[SETTINGS])
    assert now.quiet_hours_start == time(22, 15) and now.homes == 4000
    assert now.resolved_close_days == 30 and 'name="resolved_close_days" value="30"' in shown
    assert now.association_name == "Riverside Homes"
    [(action, details)] = await audit_actions(sessions)
    assert action == "settings.changed"
    assert details["before"]["quiet_hours_start"] == "21:00"
    assert details["after"]["quiet_hours_start"] == "22:15"
    assert (details["before"]["resolved_close_days"], details["after"]["resolved_close_days"]) == (
        14,
        30,
    )


async def test_bad_settings_are_refused_plainly_and_what_was_typed_is_kept(
    web: Web, sessions: Sessions
) -> None:
    admin = await web.logged_in("admin")
    token = await page_token(admin, "/settings")
    for change, words in [
        ({"association_name": ""}, "Association name: That message was empty"),
        ({"association_name": "n" * 121}, "Association name: That is too long"),
        ({"quiet_hours_start": "07:00", "quiet_hours_end": "07:00"}, "the same time"),
        ({"quiet_hours_end": "7pm"}, "Quiet hours end: type a time"),
        ({"retention_months": "two"}, "Retention of closed records"),
        ({"resolved_close_days": "91"}, "Resolved reports close after: type a whole number"),
        ({"bank_holiday_region": "france"}, "Bank holidays"),
    ]:
        typed = {**FORM, "emergency_contacts": f"Call {SCRIPT} now", **change}
        refused = await admin.post("/settings", data={**typed, "csrf_token": token})
        html = await refused.text()
        assert refused.status == 400, change
        assert words in html, change
        assert f"Call {SCRIPT} now" not in html  # kept, and escaped
        assert "Call &lt;script&gt;alert(1)&lt;/script&gt; now" in html
    assert await audit_actions(sessions) == []


async def test_staff_and_viewers_cannot_see_or_change_settings(
    web: Web, sessions: Sessions
) -> None:
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
    async with sessions() as db:
        assert (await effective_settings(db, web.app[SETTINGS])).association_name != "Hijacked"
