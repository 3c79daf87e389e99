"""The hate-incident flag on an anti-social behaviour report's page (NM01), over real HTTP on
each database: offered to staff on ASB reports only, set and cleared, audited, refused for
other reports and for a forged value, and never offered to a viewer."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.models import AuditEntry, Feedback
from tests.feedback.web.test_inbox import add_report, add_staff, area_ids
from tests.support.web import Web, csrf_of


async def flag(client: Any, report_id: int, value: str) -> Any:
    page = await (await client.get(f"/feedback/{report_id}")).text()
    return await client.post(
        f"/feedback/{report_id}/hate-incident",
        data={"csrf_token": csrf_of(page), "hate_incident": value},
        allow_redirects=False,
    )


async def stored(web: Web, report_id: int) -> Feedback:
    async with web.sessions() as db:
        found = await db.get(Feedback, report_id)
    assert found is not None
    return found


async def entries(web: Web) -> list[AuditEntry]:
    async with web.sessions() as db:
        rows = await db.scalars(
            select(AuditEntry)
            .where(AuditEntry.action == "feedback.hate_incident")
            .order_by(AuditEntry.id)
        )
        return list(rows)


async def test_staff_set_and_clear_the_flag(web: Web, neighbourhoods: None) -> None:
    area = (await area_ids(web))["riverside"]
    member = await add_staff(web, ["riverside"])
    staff = await web.logged_in("staff", "sam", staff_member_id=member.id)
    asb = await add_report(web, category="antisocial", neighbourhood_id=area)

    set_ = await flag(staff, asb.id, "yes")
    assert set_.status == 303 and set_.headers["Location"].endswith("?done=hate_incident")
    assert (await stored(web, asb.id)).hate_incident is True
    again = await flag(staff, asb.id, "yes")
    assert again.headers["Location"].endswith("?done=unchanged")
    cleared = await flag(staff, asb.id, "no")
    assert cleared.status == 303
    assert (await stored(web, asb.id)).hate_incident is False
    audited = await entries(web)
    assert [(e.subject_type, e.details) for e in audited] == [
        ("feedback", {"hate_incident": True}),
        ("feedback", {"hate_incident": False}),
    ]
    assert {e.subject_id for e in audited} == {str(asb.id)}


async def test_refusals(web: Web, neighbourhoods: None) -> None:
    area = (await area_ids(web))["riverside"]
    member = await add_staff(web, ["riverside"])
    staff = await web.logged_in("staff", "sam", staff_member_id=member.id)
    asb = await add_report(web, category="antisocial", neighbourhood_id=area)
    repair = await add_report(web, category="repairs", neighbourhood_id=area)

    wrong = await flag(staff, repair.id, "yes")
    assert wrong.status == 400
    assert "Only an anti-social behaviour report can be flagged." in await wrong.text()
    forged = await flag(staff, asb.id, "maybe")
    assert forged.status == 400
    assert "Choose whether the report involves a hate incident." in await forged.text()
    assert (await stored(web, repair.id)).hate_incident is False
    assert (await stored(web, asb.id)).hate_incident is False
    assert await entries(web) == []

    viewer = await web.logged_in("viewer", "val")
    page = await (await viewer.get(f"/feedback/{asb.id}")).text()
    assert "Flag as involving a hate incident" not in page
    token = csrf_of(await (await viewer.get("/account")).text())
    refused = await viewer.post(
        f"/feedback/{asb.id}/hate-incident",
        data={"csrf_token": token, "hate_incident": "yes"},
        allow_redirects=False,
    )
    assert refused.status in (403, 404)
    assert (await stored(web, asb.id)).hate_incident is False
