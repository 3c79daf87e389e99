"""Announcements on the dashboard over real HTTP on each database: compose, preview, confirm
(through the same service path as Telegram), cancel, delivery reports and CSV, and who may."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from bot.broadcasts.report import CSV_HEADER
from bot.models import Announcement, AuditEntry, Broadcast, Delivery
from bot.models.base import utcnow
from tests.support.broadcasts import (
    Client,
    Places,
    add_resident,
    confirm_on_dashboard,
    draft_id_of,
    sessions_of,
    staff_client,
)
from tests.support.web import Web, WebFactory, page_token

SCRIPT = "<script>alert(1)</script>"
ESCAPED_SCRIPT = "&lt;script&gt;alert(1)&lt;/script&gt;"


def form(token: str, **fields: Any) -> list[tuple[str, str]]:
    """Form fields as aiohttp posts them; list values become repeated fields."""
    data = [("csrf_token", token)]
    for name, value in fields.items():
        for one in value if isinstance(value, list) else [value]:
            data.append((name, str(one)))
    return data


async def preview(client: Client, **fields: Any) -> tuple[int, str]:
    token = await page_token(client, "/announcements/new")
    response = await client.post("/announcements/new", data=form(token, **fields))
    return response.status, await response.text()


async def count(web: Web, model: Any) -> int:
    async with sessions_of(web)() as db:
        return int(await db.scalar(select(func.count()).select_from(model)) or 0)


# ----- composing ---------------------------------------------------------------------------------


async def test_bad_input_is_refused_plainly_and_what_was_typed_is_kept(
    web: Web, places: Places
) -> None:
    client, _member = await staff_client(web)
    news = places.topics["news"]
    tomorrow = (utcnow() + timedelta(days=1)).date().isoformat()
    cases: list[tuple[dict[str, Any], str]] = [
        ({"text": "   ", "when": "now"}, "That message was empty"),
        ({"text": "x" * 4097, "when": "now"}, "at most 4096 characters"),
        ({"text": "Ring \u0007 bell", "when": "now"}, "characters I can&#39;t store"),
        ({"text": f"Hello {SCRIPT}", "when": "now"}, "Unsupported start tag"),
        ({"text": "<b>open", "when": "now"}, "Can&#39;t find end tag"),
        ({"text": "Bins", "when": "now", "area": "99999"}, "no such neighbourhood"),
        ({"text": "Bins", "when": "now", "area": "1 OR 1=1"}, "no such neighbourhood"),
        ({"text": "Bins", "when": "now", "topic": "abc"}, "no such topic"),
        ({"text": "Bins", "when": "at", "date": "2020-01-01", "time": "09:00"}, "already passed"),
        ({"text": "Bins", "when": "at", "date": tomorrow, "time": "25:99"}, "like this"),
        ({"text": "Bins", "when": "at", "date": "01/12/2026", "time": "09:00"}, "Please choose"),
        ({"text": "Bins", "when": "weekly", "weekly_time": "09:00"}, "at least one day"),
        ({"text": "Bins", "when": "weekly", "day": "xyz", "weekly_time": "09:00"}, "no such day"),
        ({"text": "Bins", "when": "weekly", "day": "mon", "weekly_time": "9am"}, "24-hour clock"),
        ({"text": "Bins", "when": "someday"}, "Please choose when"),
    ]
    for fields, message in cases:
        status, page = await preview(client, **{"topic": news, **fields})
        assert status == 400, (fields, page)
        assert message in page, (fields, message)
        assert SCRIPT not in page
        if fields["text"].strip() and len(fields["text"]) < 100:
            typed = fields["text"].replace("<", "&lt;").replace(">", "&gt;")
            assert f">{typed}</textarea>" in page  # the text as typed, escaped
        if "date" in fields:
            assert f'value="{fields["date"]}"' in page
        if fields.get("day") == "mon":
            assert 'value="mon" checked' in page and 'value="9am"' in page
    assert await count(web, Announcement) == 0


async def test_preview_confirm_sends_once_through_the_outbox_with_script_as_text(
    web_factory: WebFactory, places: Places
) -> None:
    # No quiet hours: the rows wait to be sent whatever the hour the test runs at (being
    # held in quiet hours is tested below).
    web = await web_factory(quiet_hours_start="00:00", quiet_hours_end="00:00")
    news, events = places.topics["news"], places.topics["events"]
    for chat, area, topics in [
        (600_001, places.riverside, [news]),
        (600_002, places.riverside, [news, events]),
        (600_003, places.oakfield, [news]),
        (600_004, places.riverside, [events]),
    ]:
        await add_resident(sessions_of(web), chat, area=area, topics=topics)
    client, member_id = await staff_client(web)
    text = f"<b>Bin day</b> moves. {ESCAPED_SCRIPT} &amp; more"
    status, page = await preview(client, text=text, area=places.riverside, topic=news, when="now")
    assert status == 200, page
    assert "<strong>Bin day</strong> moves. " + ESCAPED_SCRIPT + " &amp; more" in page
    assert SCRIPT not in page
    assert re.search(r'class="recipients">2<', page)
    assert "Riverside Estate" in page and "News" in page and "Confirm and send" in page
    draft = draft_id_of(page)
    assert await count(web, Delivery) == 0  # a preview sends nothing

    assert await confirm_on_dashboard(client, draft) == (303, f"/announcements/{draft}?done=sent")
    assert await confirm_on_dashboard(client, draft) == (
        303,
        f"/announcements/{draft}?done=already",
    )
    async with sessions_of(web)() as db:
        rows = (await db.scalars(select(Delivery).order_by(Delivery.chat_id))).all()
        audit = (
            await db.scalars(select(AuditEntry).where(AuditEntry.subject_type == "announcement"))
        ).all()
    assert [r.chat_id for r in rows] == [600_001, 600_002]
    assert rows[0].payload["text"] == text and rows[0].payload["parse_mode"] == "HTML"
    assert await count(web, Broadcast) == 1
    assert [(a.action, a.actor) for a in audit] == [("announcement.sent", f"staff:{member_id}")]

    for path in [f"/announcements/{draft}?done=sent", "/announcements"]:
        shown = await (await client.get(path)).text()
        assert SCRIPT not in shown and "&lt;script&gt;alert(1)&lt;/script&gt;" in shown, path
    detail = await (await client.get(f"/announcements/{draft}")).text()
    assert "2 recipients" in detail and "waiting 2" in detail and "sent 0" in detail


async def test_an_audience_of_nobody_cannot_be_sent_now_but_can_be_changed(
    web: Web, places: Places
) -> None:
    client, _member = await staff_client(web)
    status, page = await preview(client, text="Hello", area=places.oakfield, when="now")
    assert status == 200 and "Nobody would receive it" in page
    assert "/confirm" not in page
    draft = int(re.findall(r"/announcements/new\?draft=(\d+)", page)[0])
    assert (await confirm_on_dashboard(client, draft))[0] == 400
    assert await count(web, Delivery) == 0
    change = await (await client.get(f"/announcements/new?draft={draft}")).text()
    assert ">Hello</textarea>" in change and f'name="replaces" value="{draft}"' in change
    assert f'value="{places.oakfield}" checked' in change
    # Previewing again replaces the draft rather than leaving it behind.
    assert (await preview(client, text="Hello again", when="now", replaces=draft))[0] == 200
    async with sessions_of(web)() as db:
        texts = (await db.scalars(select(Announcement.text))).all()
    assert texts == ["Hello again"]


async def test_schedule_for_a_time_then_cancel_before_it_goes(web: Web, places: Places) -> None:
    client, _member = await staff_client(web)
    tomorrow = (utcnow() + timedelta(days=1)).date().isoformat()
    status, page = await preview(
        client, text="Hall closed", when="at", date=tomorrow, time="10:00", urgent="yes"
    )
    assert status == 200 and "Confirm and schedule" in page and "10:00" in page
    draft = draft_id_of(page)
    assert await confirm_on_dashboard(client, draft) == (
        303,
        f"/announcements/{draft}?done=scheduled",
    )
    listing = await (await client.get("/announcements")).text()
    scheduled = listing.split("<h2>Scheduled</h2>")[1].split("<h2>")[0]
    assert f"#{draft}" in scheduled and "Hall closed" in scheduled

    token = await page_token(client, f"/announcements/{draft}")
    unticked = await client.post(f"/announcements/{draft}/cancel", data={"csrf_token": token})
    assert unticked.status == 400 and "Tick the box" in await unticked.text()
    cancelled = await client.post(
        f"/announcements/{draft}/cancel",
        data={"csrf_token": token, "confirm": "yes"},
        allow_redirects=False,
    )
    assert cancelled.status == 303
    again = await client.post(
        f"/announcements/{draft}/cancel", data={"csrf_token": token, "confirm": "yes"}
    )
    assert again.status == 400 and "already cancelled" in await again.text()
    async with sessions_of(web)() as db:
        row = await db.get(Announcement, draft)
        actions = (await db.scalars(select(AuditEntry.action).order_by(AuditEntry.id))).all()
    assert row is not None and row.status == "cancelled" and row.next_run_at is None
    assert actions[-2:] == ["announcement.scheduled", "announcement.cancelled"]
    assert await count(web, Delivery) == 0


async def test_a_time_that_passes_at_the_preview_is_asked_again_with_the_text_kept(
    web: Web, places: Places
) -> None:
    client, _member = await staff_client(web)
    tomorrow = (utcnow() + timedelta(days=1)).date().isoformat()
    status, page = await preview(client, text="Gala", when="at", date=tomorrow, time="10:00")
    assert status == 200
    draft = draft_id_of(page)
    async with sessions_of(web).begin() as db:
        row = await db.get(Announcement, draft)
        assert row is not None
        row.send_at = utcnow() - timedelta(minutes=1)  # the preview was left open
    response = await client.post(
        f"/announcements/{draft}/confirm",
        data={"csrf_token": await page_token(client, "/announcements")},
    )
    text = await response.text()
    assert response.status == 400 and "has passed while the preview was open" in text
    assert ">Gala</textarea>" in text and 'value="at" checked' in text
    assert await count(web, Delivery) == 0


async def test_in_quiet_hours_a_quiet_announcement_is_held_reported_as_held_and_can_be_stopped(
    web_factory: Any, places: Places
) -> None:
    now = utcnow().astimezone(ZoneInfo("Europe/London"))
    web = await web_factory(
        quiet_hours_start=(now - timedelta(hours=1)).strftime("%H:%M"),
        quiet_hours_end=(now + timedelta(hours=1)).strftime("%H:%M"),
    )
    news = places.topics["news"]
    await add_resident(sessions_of(web), 640_001, area=places.riverside, topics=[news])
    client, _member = await staff_client(web)
    status, page = await preview(client, text="Quiet one", when="now")
    assert status == 200 and "It is quiet hours now, so it will go out at" in page
    draft = draft_id_of(page)
    assert (await confirm_on_dashboard(client, draft))[0] == 303
    detail = await (await client.get(f"/announcements/{draft}")).text()
    assert "held for quiet hours 1" in detail
    # Confirmed by mistake in the evening: it can still be stopped before the morning.
    assert "held for quiet hours (1)" in detail
    token = await page_token(client, f"/announcements/{draft}")
    unticked = await client.post(f"/announcements/{draft}/cancel", data={"csrf_token": token})
    assert unticked.status == 400 and "Tick the box" in await unticked.text()
    stopped = await client.post(
        f"/announcements/{draft}/cancel", data={"csrf_token": token, "confirm": "yes"}
    )
    page = await stopped.text()
    assert stopped.status == 200 and "The messages still held were withdrawn" in page
    assert "held for quiet hours 1" not in page and "Stop the messages still held" not in page
    again = await client.post(
        f"/announcements/{draft}/cancel", data={"csrf_token": token, "confirm": "yes"}
    )
    assert again.status == 400 and "it has all gone out" in await again.text()
    async with sessions_of(web)() as db:
        row = await db.get(Announcement, draft)
        delivery = await db.scalar(select(Delivery))
        actions = (await db.scalars(select(AuditEntry.action).order_by(AuditEntry.id))).all()
    assert row is not None and row.status == "sent"
    assert delivery is not None and (delivery.status, delivery.error) == ("skipped", "cancelled")
    assert actions[-1] == "announcement.withdrawn"

    status, urgent = await preview(client, text="Water off", when="now", urgent="yes")
    assert status == 200 and "quiet hours now" not in urgent


async def test_weekly_announcements_show_their_days_and_next_run(web: Web, places: Places) -> None:
    client, _member = await staff_client(web)
    status, page = await preview(
        client, text="Coffee", when="weekly", day=["thu", "mon"], weekly_time="09:00"
    )
    assert status == 200 and "every Monday, Thursday at 09:00 (next: " in page
    draft = draft_id_of(page)
    assert (await confirm_on_dashboard(client, draft))[0] == 303
    async with sessions_of(web)() as db:
        row = await db.get(Announcement, draft)
    assert row is not None and row.recurrence == "weekly:mon,thu@09:00"
    assert row.status == "scheduled" and row.next_run_at is not None


async def test_staff_address_and_see_only_their_neighbourhoods(web: Web, places: Places) -> None:
    client, _member = await staff_client(web, "rita", areas=["riverside"])
    page = await (await client.get("/announcements/new")).text()
    assert "Riverside Estate" in page and "Oakfield Gardens" not in page
    status, refused = await preview(client, text="Hi", area=places.oakfield, when="now")
    assert status == 400 and "no such neighbourhood" in refused
    status, shown = await preview(client, text="Hi", when="now")  # none ticked: theirs
    assert status == 200 and "Riverside Estate" in shown
    async with sessions_of(web).begin() as db:
        theirs = await db.get(Announcement, draft_id_of(shown))
        assert theirs is not None and theirs.neighbourhood_ids == [places.riverside]
        later = utcnow() + timedelta(days=1)
        oak = Announcement(text="Oak only", neighbourhood_ids=[places.oakfield])
        everyone = Announcement(text="Everyone")
        for row in (oak, everyone):
            row.status, row.next_run_at = "scheduled", later
        db.add_all([oak, everyone])
        await db.flush()
        oak_id, everyone_id = oak.id, everyone.id
    for path in [f"/announcements/{oak_id}", f"/announcements/{oak_id}/deliveries.csv"]:
        assert (await client.get(path)).status == 404, path
    listing = await (await client.get("/announcements")).text()
    assert "Oak only" not in listing and "Everyone" in listing
    detail = await (await client.get(f"/announcements/{everyone_id}")).text()
    assert "goes beyond your neighbourhoods" in detail and "/cancel" not in detail
    token = await page_token(client, "/announcements")
    for target, code in [(everyone_id, 403), (oak_id, 404)]:
        response = await client.post(
            f"/announcements/{target}/cancel", data={"csrf_token": token, "confirm": "yes"}
        )
        assert response.status == code
    calendar = (
        await (await client.get("/calendar")).text()
        + await (await client.get(f"/calendar?month={later.strftime('%Y-%m')}")).text()
    )
    assert "Oak only" not in calendar and "Everyone" in calendar


async def test_forged_ids_other_peoples_drafts_roles_and_csrf(web: Web, places: Places) -> None:
    owner, _member = await staff_client(web, "owner")
    other, _other = await staff_client(web, "other")
    status, page = await preview(owner, text="Mine", when="now")
    draft = draft_id_of(page)
    for path in [
        "/announcements/abc",
        "/announcements/99999",
        "/announcements/99999999999999",
        "/announcements/\u00b2",
        "/announcements/-1",
        "/announcements/99999999999999/deliveries.csv",
        f"/announcements/{draft}",  # drafts are only at the preview
        f"/announcements/{draft}/deliveries.csv",
    ]:
        assert (await owner.get(path)).status == 404, path
    for page in ["0", "\u00b2", "x", "99999999999"]:
        assert (await owner.get("/announcements", params={"page": page})).status == 400, page
    assert (await other.get(f"/announcements/new?draft={draft}")).status == 200
    assert (
        ">Mine</textarea>"
        not in await (await other.get(f"/announcements/new?draft={draft}")).text()
    )
    token = await page_token(other, "/announcements")
    for action in ("confirm", "discard"):
        response = await other.post(f"/announcements/{draft}/{action}", data={"csrf_token": token})
        assert response.status == 404, action
    forged = await owner.post(f"/announcements/{draft}/confirm", data={"csrf_token": "forged" * 8})
    assert forged.status == 403 and "Form expired" in await forged.text()

    viewer = await web.logged_in("viewer", "vic")
    assert (await viewer.get("/announcements")).status == 200
    assert (await viewer.get("/announcements/new")).status == 403
    refused = await viewer.post(
        "/announcements/new",
        data=form(await page_token(viewer, "/announcements"), text="x", when="now"),
    )
    assert refused.status == 403
    unlinked = await web.logged_in("staff", "loose")
    assert (
        "not linked to an active staff member"
        in await (await unlinked.get("/announcements/new")).text()
    )
    status, refused_page = await preview(unlinked, text="Typed by loose", when="now")
    assert status == 403 and ">Typed by loose</textarea>" in refused_page
    async with sessions_of(web)() as db:
        row = await db.get(Announcement, draft)
    assert row is not None and row.status == "draft"
    assert await count(web, Delivery) == 0

    discarded = await owner.post(
        f"/announcements/{draft}/discard",
        data={"csrf_token": await page_token(owner, "/announcements")},
        allow_redirects=False,
    )
    assert discarded.status == 303 and await count(web, Announcement) == 0


# ----- delivery reports --------------------------------------------------------------------------


async def test_report_counts_each_outcome_and_the_csv_is_ids_only_and_audited(
    web: Web, places: Places
) -> None:
    news = places.topics["news"]
    ids = [
        await add_resident(sessions_of(web), 610_000 + n, area=places.riverside, topics=[news])
        for n in range(6)
    ]
    client, _member = await staff_client(web)
    status, page = await preview(client, text="=HYPERLINK(1) @me", when="now")
    assert status == 200
    draft = draft_id_of(page)
    assert (await confirm_on_dashboard(client, draft))[0] == 303
    now = utcnow()
    outcomes: list[dict[str, Any]] = [
        {"status": "sent", "sent_at": now, "attempts": 1},
        {"status": "failed", "error": "Forbidden: bot was blocked by the user", "attempts": 1},
        {"status": "failed", "error": "Bad Request: chat 610002 not found", "attempts": 1},
        {"status": "skipped", "error": "inactive"},
        {"status": "queued", "not_before": now + timedelta(hours=8)},  # quiet hours
        {"status": "queued", "error": "timed out", "attempts": 2},  # retrying
    ]
    async with sessions_of(web).begin() as db:
        rows = (await db.scalars(select(Delivery).order_by(Delivery.resident_id))).all()
        assert [r.resident_id for r in rows] == ids
        for row, values in zip(rows, outcomes, strict=True):
            for name, value in values.items():
                setattr(row, name, value)
    detail = await (await client.get(f"/announcements/{draft}")).text()
    run = detail.split("<tbody>")[1].split("</tbody>")[0]
    cells = re.findall(r"<td>(\d+)</td>", run)
    # recipients, sent, waiting, held, failed, blocked, skipped
    assert cells[1:] == ["6", "1", "1", "1", "1", "1", "1"]

    response = await client.get(f"/announcements/{draft}/deliveries.csv")
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    body = (await response.read()).decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(body)))
    assert table[0] == list(CSV_HEADER)
    assert "resident id" in table[0] and not any("chat" in name for name in table[0])
    assert [(r[2], r[3], r[4], r[6]) for r in table[1:]] == [
        (str(ids[0]), "sent", "1", ""),
        (str(ids[1]), "failed", "1", "blocked"),
        (str(ids[2]), "failed", "1", "refused by Telegram"),
        (str(ids[3]), "skipped", "0", "inactive"),
        (str(ids[4]), "queued", "0", ""),
        (str(ids[5]), "queued", "2", "retrying"),
    ]
    assert table[1][5].startswith(now.astimezone().strftime("%Y-"))
    for secret in ["610000", "610002", "HYPERLINK", "Forbidden"]:
        assert secret not in body  # no chat ids, no message text, no Telegram wording
    async with sessions_of(web)() as db:
        entry = await db.scalar(
            select(AuditEntry).where(AuditEntry.action == "announcement.deliveries_exported")
        )
    assert entry is not None and entry.subject_id == str(draft) and entry.details == {"rows": 6}
