"""The inbox's CSV and XLSX downloads over real HTTP on each database: the same rows as the
list, neighbourhood limits, formula and anonymity safety, headers, audit and refusals.

The writer's own guarantees (every column's value, memory flat at any size) are tested in
tests/reports/test_export.py, which exercises the same ``export_feedback``."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import openpyxl
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import select

from bot.feedback.export import HEADER
from bot.models import AuditEntry
from bot.models.base import utcnow
from bot.web.security import SETTINGS
from tests.feedback.factories import sessions_of
from tests.feedback.web.test_inbox import add_report, add_resident, add_staff, area_ids, listed
from tests.support.web import Web


async def csv_rows(client: Any, query: str = "") -> list[dict[str, str]]:
    response = await client.get(f"/feedback/export.csv?{query}")
    assert response.status == 200, (query, await response.text())
    raw = await response.read()
    assert raw.startswith(b"\xef\xbb\xbf")
    reader = csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline=""))
    assert tuple(next(reader)) == HEADER
    return [dict(zip(HEADER, row, strict=True)) for row in reader]


async def xlsx_rows(client: Any, query: str = "") -> list[dict[str, Any]]:
    response = await client.get(f"/feedback/export.xlsx?{query}")
    assert response.status == 200, (query, await response.text())
    sheet = openpyxl.load_workbook(io.BytesIO(await response.read())).active
    assert isinstance(sheet, Worksheet)
    assert tuple(cell.value for cell in sheet[1]) == HEADER
    return [
        dict(zip(HEADER, (cell.value for cell in row), strict=False))
        for row in sheet.iter_rows(min_row=2)
    ]


async def test_the_export_has_exactly_the_rows_the_list_shows(
    web: Web, neighbourhoods: None
) -> None:
    areas = await area_ids(web)
    old = utcnow() - timedelta(days=40)
    await add_report(web, neighbourhood_id=areas["riverside"])
    await add_report(web, neighbourhood_id=areas["riverside"], category="damp_mould")
    await add_report(web, neighbourhood_id=areas["riverside"], received_at=old)
    await add_report(web, neighbourhood_id=areas["oakfield"])
    await add_report(web, neighbourhood_id=areas["riverside"], status="closed")
    await add_report(web, description="Broken gate at number 4")
    admin = await web.logged_in("admin")
    since = (utcnow() - timedelta(days=7)).date().isoformat()
    for filters in [
        {},
        {"neighbourhood": str(areas["riverside"]), "status": "open", "from": since},
        {"category": "damp_mould"},
        {"q": "gate"},
        {"sort": "oldest", "neighbourhood": str(areas["riverside"])},
        {"stage": "2"},
    ]:
        query = urlencode(filters)
        shown = await listed(admin, query)
        assert [row["reference"] for row in await csv_rows(admin, query)] == shown, filters
        assert [row["reference"] for row in await xlsx_rows(admin, query)] == shown, filters
    # Every page, not just the one on screen: the page number is ignored.
    assert len(await csv_rows(admin, "page=2")) == 6


async def test_staff_export_only_their_neighbourhoods(web: Web, neighbourhoods: None) -> None:
    areas = await area_ids(web)
    ours = await add_report(web, neighbourhood_id=areas["riverside"])
    await add_report(web, neighbourhood_id=areas["oakfield"])
    await add_report(web)
    member = await add_staff(web, ["riverside"])
    staff = await web.logged_in("staff", "sam", staff_member_id=member.id)
    assert [row["reference"] for row in await csv_rows(staff)] == [ours.reference]
    assert [row["reference"] for row in await xlsx_rows(staff)] == [ours.reference]
    for path in ("/feedback/export.csv", "/feedback/export.xlsx"):
        refused = await staff.get(f"{path}?neighbourhood={areas['oakfield']}")
        assert refused.status == 400
        assert "There is no such neighbourhood." in await refused.text()
        bad = await staff.get(f"{path}?from=yesterday")
        assert bad.status == 400 and "The from date must look like 2026-04-30." in await bad.text()
        nul = await staff.get(f"{path}?q=boiler%00")
        assert nul.status == 400 and "without control characters" in await nul.text()
    unlinked = await web.logged_in("staff", "nobody")
    assert await csv_rows(unlinked) == []


async def test_formulas_are_neutral_and_anonymous_reports_have_no_name(web: Web) -> None:
    named = await add_resident(web, None, name="Beatrice")
    hidden = await add_resident(web, None, name="Clementine")
    words = ['=HYPERLINK("http://evil")', "+1+1", "-2+3", "@SUM(A1)", "Plain words"]
    for text in words:
        await add_report(web, description=text)
    shared = await add_report(web, resident_id=named.id, shares_name=True)
    anonymised = await add_report(
        web, resident_id=hidden.id, shares_name=True, anonymised_at=utcnow()
    )
    viewer = await web.logged_in("viewer")
    as_csv = {row["reference"]: row for row in await csv_rows(viewer)}
    as_xlsx = {row["reference"]: row for row in await xlsx_rows(viewer)}
    for rows in (as_csv, as_xlsx):
        texts = sorted(row["text"] for row in rows.values())
        assert (
            sorted(["'" + w if w[0] in "=+-@" else w for w in words] + ["A dripping tap"] * 2)
            == texts
        )
        assert rows[shared.reference]["reporter_name"] == "Beatrice"
        assert rows[anonymised.reference]["reporter_name"] in ("", None)
        assert rows[anonymised.reference]["anonymous"] == "yes"
    assert "Clementine" not in str(as_csv) + str(as_xlsx)


async def test_headers_audit_and_link_on_the_page(web: Web, neighbourhoods: None) -> None:
    areas = await area_ids(web)
    await add_report(web, neighbourhood_id=areas["riverside"])
    await add_report(web, neighbourhood_id=areas["riverside"])
    await add_report(web, neighbourhood_id=areas["oakfield"])
    viewer = await web.logged_in("viewer", "vera")
    query = urlencode({"status": "open", "neighbourhood": areas["riverside"]})
    page = await (await viewer.get(f"/feedback?{query}")).text()
    assert f'href="/feedback/export.csv?{query.replace("&", "&amp;")}"' in page
    assert f'href="/feedback/export.xlsx?{query.replace("&", "&amp;")}"' in page
    today = utcnow().astimezone(web.app[SETTINGS].tz).date().isoformat()
    for fmt, kind in [
        ("csv", "text/csv; charset=utf-8"),
        ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ]:
        response = await viewer.get(f"/feedback/export.{fmt}?{query}")
        assert response.status == 200
        assert response.headers["Content-Type"] == kind
        disposition = response.headers["Content-Disposition"]
        assert disposition == f'attachment; filename="doorstep-feedback-{today}.{fmt}"'
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        await response.read()
    async with sessions_of(web)() as db:
        audit = (
            await db.scalars(
                select(AuditEntry)
                .where(AuditEntry.action == "feedback.exported")
                .order_by(AuditEntry.id)
            )
        ).all()
    assert [(a.actor, a.details["format"], a.details["rows"]) for a in audit] == [
        ("web:vera", "csv", 2),
        ("web:vera", "xlsx", 2),
    ]
    assert audit[0].details["filters"] == {
        "neighbourhood": str(areas["riverside"]),
        "status": "open",
    }
    assert audit[0].details["neighbourhoods"] is None


async def test_anonymous_users_are_sent_to_log_in(web: Web) -> None:
    client = await web.client()
    for path in ("/feedback/export.csv", "/feedback/export.xlsx"):
        response = await client.get(f"{path}?status=open", allow_redirects=False)
        assert response.status == 303
        assert response.headers["Location"].startswith("/login?next=")
