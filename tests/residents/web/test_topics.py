"""The topics page over real HTTP on each database: adding, renaming (English and Welsh),
taking off the list (followers keep following), all audited."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.models import AuditEntry, Resident, Topic, resident_topics
from tests.support.web import Web, page_token

Sessions = async_sessionmaker[AsyncSession]
SCRIPT = "<script>alert(1)</script>"


async def audit_actions(sessions: Sessions) -> list[tuple[str, dict[str, Any]]]:
    """The audit log's actions and details, but the dashboard's own (logins and such)."""
    async with sessions() as db:
        rows = (await db.scalars(select(AuditEntry).order_by(AuditEntry.id))).all()
    return [(row.action, row.details) for row in rows if not row.action.startswith("dashboard.")]


async def test_admin_adds_renames_and_deactivates_topics_and_followers_keep_them(
    web: Web, sessions: Sessions
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
    async with sessions.begin() as db:
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
    async with sessions() as db:
        row = await db.get(Topic, topic.id)
        follows = (await db.execute(select(resident_topics))).all()
    assert row is not None and (row.name, row.name_cy, row.active) == ("Gardens", "Gerddi", False)
    assert len(follows) == 1
    assert [a for a, _ in await audit_actions(sessions)] == [
        "topic.added",
        "topic.renamed",
        "topic.deactivated",
    ]
