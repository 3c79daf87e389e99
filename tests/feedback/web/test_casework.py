"""A report's case handling on the dashboard, over real HTTP on each database: internal
notes, assignment, escalation to a different stage-2 handler, extensions, photos fetched
from the Bot API (the sandbox), and the full record as a file."""

from __future__ import annotations

import base64
import re
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient
from sqlalchemy import select

from bot.feedback import casework, clocks, deadlines
from bot.models import (
    AuditEntry,
    Delivery,
    Feedback,
    FeedbackAssignment,
    FeedbackAttachment,
    FeedbackExtension,
    FeedbackNote,
    Resident,
    StaffMember,
)
from bot.models.base import utcnow
from bot.web import telegram_files
from tests.feedback.factories import sessions_of
from tests.feedback.web.test_inbox import add_report, add_resident, add_staff, area_ids
from tests.support.harness import TEST_TOKEN
from tests.support.web import Web, WebFactory, csrf_of

LONDON = ZoneInfo("Europe/London")

# A 48x32 JPEG, as Telegram stores a resident's photo.
JPEG = base64.b64decode(
    "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAA0JCgsKCA0LCgsODg0PEyAVExISEyccHhcgLikxMC4pLSwzOko+MzZGNy"
    "wtQFdBRkxOUlNSMj5aYVpQYEpRUk//2wBDAQ4ODhMREyYVFSZPNS01T09PT09PT09PT09PT09PT09PT09PT09PT09PT0"
    "9PT09PT09PT09PT09PT09PT09PT0//wAARCAAgADADASIAAhEBAxEB/8QAHwAAAQUBAQEBAQEAAAAAAAAAAAECAwQFBg"
    "cICQoL/8QAtRAAAgEDAwIEAwUFBAQAAAF9AQIDAAQRBRIhMUEGE1FhByJxFDKBkaEII0KxwRVS0fAkM2JyggkKFhcYGR"
    "olJicoKSo0NTY3ODk6Q0RFRkdISUpTVFVWV1hZWmNkZWZnaGlqc3R1dnd4eXqDhIWGh4iJipKTlJWWl5iZmqKjpKWmp6"
    "ipqrKztLW2t7i5usLDxMXGx8jJytLT1NXW19jZ2uHi4+Tl5ufo6erx8vP09fb3+Pn6/8QAHwEAAwEBAQEBAQEBAQAAAA"
    "AAAAECAwQFBgcICQoL/8QAtREAAgECBAQDBAcFBAQAAQJ3AAECAxEEBSExBhJBUQdhcRMiMoEIFEKRobHBCSMzUvAVYn"
    "LRChYkNOEl8RcYGRomJygpKjU2Nzg5OkNERUZHSElKU1RVVldYWVpjZGVmZ2hpanN0dXZ3eHl6goOEhYaHiImKkpOUlZ"
    "aXmJmaoqOkpaanqKmqsrO0tba3uLm6wsPExcbHyMnK0tPU1dbX2Nna4uPk5ebn6Onq8vP09fb3+Pn6/9oADAMBAAIRAx"
    "EAPwDLooruq8TE4n2FtL3Po6lTktocLRXdUVy/2l/d/H/gGX1jyOForuq4y+/4/wC4/wCurfzNdOHxXtm1a1jSnV53sQ"
    "V3VcLU/wBtu/8An6n/AO/hoxWHda1nawVabnY7OiuM+23f/P1P/wB/DR9tu/8An6n/AO/hrk/s6X8xl9Xfc7OuMvv+P+"
    "4/66t/M0fbbv8A5+p/+/hqFmLMWYksTkk9TXVhcK6LbbNadNwZ/9k="
)
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGP4//8/AAX+Av6nVr36AAAAAElFTkSuQmCC"
)
SCRIPT = "<script>alert(1)</script>"


async def complaint(web: Web, area: str = "riverside", **fields: Any) -> tuple[Feedback, Resident]:
    """A stage-1 complaint from a resident of ``area``, received an hour ago."""
    areas = await area_ids(web)
    resident = await add_resident(web, areas[area], name=fields.pop("name", "Ann"))
    today = utcnow().date()
    report = await add_report(
        web,
        resident_id=resident.id,
        neighbourhood_id=areas[area],
        category="complaint",
        is_complaint=True,
        complaint_stage=1,
        ack_due_on=today + timedelta(days=7),
        response_due_on=today + timedelta(days=21),
        **fields,
    )
    return report, resident


async def staff_client(
    web: Web, username: str, areas: list[str], name: str = "Sam"
) -> tuple[StaffMember, TestClient[Any, Any]]:
    member = await add_staff(web, areas)
    async with sessions_of(web).begin() as db:
        stored = await db.get(StaffMember, member.id)
        assert stored is not None
        stored.name = name
    client = await web.logged_in("staff", username, staff_member_id=member.id)
    return member, client


async def post(client: TestClient[Any, Any], path: str, **data: str) -> ClientResponse:
    page = await client.get(path.rsplit("/", 1)[0])
    return await client.post(path, data={"csrf_token": csrf_of(await page.text()), **data})


async def rows(web: Web, model: Any, **where: Any) -> list[Any]:
    async with sessions_of(web)() as db:
        statement = select(model).filter_by(**where).order_by(model.id)
        return list((await db.scalars(statement)).all())


async def report_row(web: Web, report_id: int) -> Feedback:
    async with sessions_of(web)() as db:
        found = await db.get(Feedback, report_id)
    assert found is not None
    return found


async def test_notes_are_staff_only_audited_kept_on_error_and_escaped(
    web: Web, neighbourhoods: None
) -> None:
    report, _ = await complaint(web)
    member, sam = await staff_client(web, "sam", ["riverside"])
    url = f"/feedback/{report.id}/notes"

    added = await post(sam, url, body=f"Called the resident {SCRIPT}")
    page = await added.text()
    assert added.status == 200 and "Your note is kept with the report" in page
    assert "Called the resident &lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert SCRIPT not in page

    empty = await post(sam, url, body=" \u200b ")
    assert empty.status == 400 and "That message was empty" in await empty.text()
    long = "Ü" * (casework.NOTE_MAX_LENGTH + 1)
    too_long = await post(sam, url, body=long)
    text = await too_long.text()
    assert too_long.status == 400 and "too long" in text
    assert f">{long}</textarea>" in text  # what was typed is kept

    notes = await rows(web, FeedbackNote, feedback_id=report.id)
    assert [(n.staff_id, n.body) for n in notes] == [(member.id, f"Called the resident {SCRIPT}")]
    audit = await rows(web, AuditEntry, action="feedback.note_added")
    assert [(a.actor, a.details["note_id"]) for a in audit] == [(f"staff:{member.id}", notes[0].id)]
    assert await rows(web, Delivery) == []  # nothing reaches the resident

    viewer = await web.logged_in("viewer")
    assert "Called the resident" in await (await viewer.get(f"/feedback/{report.id}")).text()
    refused = await post(viewer, url, body="viewers may not")
    assert refused.status == 403
    assert len(await rows(web, FeedbackNote)) == 1


async def test_assignment_to_covering_staff_shown_filtered_and_audited(
    web: Web, neighbourhoods: None
) -> None:
    report, _ = await complaint(web)
    other_report, _ = await complaint(web)
    sam, sam_client = await staff_client(web, "sam", ["riverside"], "Sam Riverside")
    kim = await add_staff(web, [])  # covers everywhere
    olu = await add_staff(web, ["oakfield"])
    url = f"/feedback/{report.id}/assign"

    page = await (await sam_client.get(f"/feedback/{report.id}")).text()
    assert f'<option value="{sam.id}">Sam Riverside</option>' in page
    assert f'<option value="{olu.id}">' not in page  # not their neighbourhood

    assigned = await post(sam_client, url, staff_id=str(sam.id))
    assert assigned.status == 200 and "handler has changed." in await assigned.text()
    listing = await (await sam_client.get("/feedback?assigned=me")).text()
    assert report.reference in listing and other_report.reference not in listing
    assert "<td>Sam Riverside</td>" in listing
    nobody = await (await sam_client.get("/feedback?assigned=nobody")).text()
    assert other_report.reference in nobody and report.reference not in nobody
    bad = await sam_client.get("/feedback?assigned=everyone")
    assert bad.status == 400 and "Assigned to is either me or nobody." in await bad.text()

    for forged in (str(olu.id), "abc", "99999", "-1"):
        refused = await post(sam_client, url, staff_id=forged)
        assert refused.status == 400, forged
    assert (await report_row(web, report.id)).assigned_staff_id == sam.id

    moved = await post(sam_client, url, staff_id=str(kim.id))
    assert moved.status == 200
    cleared = await post(sam_client, url, staff_id="")
    assert cleared.status == 200
    stored = await report_row(web, report.id)
    assert stored.assigned_staff_id is None and stored.stage1_handler_id == kim.id
    history = await rows(web, FeedbackAssignment, feedback_id=report.id)
    assert [(h.staff_id, h.stage) for h in history] == [(sam.id, 1), (kim.id, 1), (None, 1)]
    audit = await rows(web, AuditEntry, subject_type="feedback", subject_id=str(report.id))
    assert [(a.action, a.details["before"], a.details["after"]) for a in audit] == [
        ("feedback.assigned", None, sam.id),
        ("feedback.assigned", sam.id, kim.id),
        ("feedback.unassigned", kim.id, None),
    ]

    viewer = await web.logged_in("viewer")
    assert (await post(viewer, url, staff_id=str(sam.id))).status == 403


async def test_escalation_needs_a_different_stage2_handler(web: Web, neighbourhoods: None) -> None:
    report, resident = await complaint(web)
    ann, ann_client = await staff_client(web, "ann", ["riverside"], "Ann Stageone")
    bo = await add_staff(web, ["riverside"])
    url = f"/feedback/{report.id}/escalate"

    assert (await post(ann_client, f"/feedback/{report.id}/acknowledge")).status == 200
    page = await (await ann_client.get(f"/feedback/{report.id}")).text()
    assert "Stage 1 handler</dt><dd>Ann Stageone" in page
    assert '<option value="escalated">' not in page  # escalation has its own form
    choices = page[page.index('name="handler_id"') :]
    assert f'<option value="{bo.id}">' in choices.split("</select>")[0]
    assert f'<option value="{ann.id}">' not in choices.split("</select>")[0]

    same = await post(ann_client, url, handler_id=str(ann.id))
    assert same.status == 400
    assert "Ann Stageone handled" in await same.text()
    assert "needs a different person at stage 2" in await same.text()
    by_status = await post(ann_client, f"/feedback/{report.id}/status", status="escalated")
    assert by_status.status == 400 and "Escalate form" in await by_status.text()
    none = await post(ann_client, url, handler_id="")
    assert none.status == 400 and "Choose who handles stage 2." in await none.text()
    no_day = await post(ann_client, url, handler_id=str(bo.id), asked_on="last Tuesday")
    text = await no_day.text()
    assert no_day.status == 400 and "like 2026-04-29" in text
    assert 'value="last Tuesday"' in text  # kept, to correct
    assert (await report_row(web, report.id)).status == "acknowledged"

    escalated = await post(ann_client, url, handler_id=str(bo.id))
    assert escalated.status == 200 and "at stage 2 with its new handler" in await escalated.text()
    stored = await report_row(web, report.id)
    assert (stored.status, stored.complaint_stage) == ("escalated", 2)
    assert (stored.stage1_handler_id, stored.stage2_handler_id) == (ann.id, bo.id)
    assert stored.assigned_staff_id == bo.id
    assert stored.stage1_ack_due_on == utcnow().date() + timedelta(days=7)
    # At stage 2 the stage-1 handler cannot be given the report back.
    back = await post(ann_client, f"/feedback/{report.id}/assign", staff_id=str(ann.id))
    assert back.status == 400 and "handled" in await back.text()
    twice = await post(ann_client, url, handler_id=str(bo.id))
    assert twice.status == 400 and "only a stage-1 complaint" in await twice.text()

    told = await rows(web, Delivery, resident_id=resident.id)
    assert [d.kind for d in told] == ["status_change", "status_change"]
    assert "stage 2 of 2" in told[1].payload["text"]
    actions = [
        a.action
        for a in await rows(web, AuditEntry, subject_type="feedback", subject_id=str(report.id))
    ]
    assert actions == ["feedback.acknowledged", "feedback.status_changed", "feedback.assigned"]


async def test_extension_once_per_stage_with_reason_told_to_the_resident_in_welsh(
    web: Web, neighbourhoods: None
) -> None:
    report, resident = await complaint(web)
    async with sessions_of(web).begin() as db:
        welsh = await db.get(Resident, resident.id)
        assert welsh is not None
        welsh.language = "cy"
    _, sam = await staff_client(web, "sam", ["riverside"])
    url = f"/feedback/{report.id}/extend"
    reason = f"We are waiting for the surveyor's report {SCRIPT}"

    early = await post(sam, url, days="5", reason=reason)
    assert early.status == 400 and "Acknowledge FB-" in await early.text()
    await post(sam, f"/feedback/{report.id}/acknowledge")
    acknowledged_due = (await report_row(web, report.id)).response_due_on
    assert acknowledged_due is not None

    for days in ("61", "0", "ten", "-3", "1.5"):
        refused = await post(sam, url, days=days, reason="Surveyor")
        text = await refused.text()
        assert refused.status == 400, days
        assert "whole number of working days from 1 to 60" in text
        assert ">Surveyor</textarea>" in text  # the reason typed is kept
    # More than 10 only with a good reason; what was typed is kept when it is missing.
    longer = await post(sam, url, days="11", reason="Surveyor", good_reason=" ")
    text = await longer.text()
    assert longer.status == 400 and "up to 10 working days. For 11" in text
    assert ">Surveyor</textarea>" in text and 'value="11"' in text
    no_reason = await post(sam, url, days="10", reason="  ")
    assert no_reason.status == 400 and 'value="10"' in await no_reason.text()

    extended = await post(sam, url, days="10", reason=reason)
    page = await extended.text()
    assert extended.status == 200 and "The response date is extended" in page
    expected = clocks.add_working_days(acknowledged_due, 10, "england-and-wales")
    assert expected.isoformat() in page and "&lt;script&gt;" in page and SCRIPT not in page
    assert f'action="/feedback/{report.id}/extend"' not in page  # once per stage
    again = await post(sam, url, days="1", reason="Again")
    assert again.status == 400 and "already extended once at stage 1" in await again.text()

    stored = await report_row(web, report.id)
    assert stored.response_due_on == expected
    (extension,) = await rows(web, FeedbackExtension, feedback_id=report.id)
    assert (extension.stage, extension.working_days, extension.reason) == (1, 10, reason)
    assert (extension.due_before, extension.due_after) == (acknowledged_due, expected)
    (told,) = await rows(web, Delivery, resident_id=resident.id, kind="extension")
    text = told.payload["text"]
    assert "Mae angen mwy o amser arnom i ateb eich cwyn" in text  # Welsh
    assert reason in text and "0300 111 3000" in text and "info@housing-ombudsman.org.uk" in text
    assert "www.housing-ombudsman.org.uk" in text and "Housing Ombudsman Service" in text
    (audit,) = await rows(web, AuditEntry, action="feedback.extended")
    assert audit.details["before"] == acknowledged_due.isoformat()
    assert audit.details["after"] == expected.isoformat()


# Wednesday 29 April 2026, noon in London: the whole test falls on one day, whatever the
# wall clock says (the pages read the association's date when each request comes).
@time_machine.travel(datetime(2026, 4, 29, 12, 0, tzinfo=LONDON), tick=True)
async def test_a_missed_answer_cannot_be_extended_and_an_extension_on_the_day_moves_the_date(
    web: Web, neighbourhoods: None
) -> None:
    today = date(2026, 4, 29)
    report, _ = await complaint(web, status="in_progress", acknowledged_at=utcnow())
    async with sessions_of(web).begin() as db:
        late = await db.get(Feedback, report.id)
        assert late is not None
        late.response_due_on = date(2026, 4, 28)
    _, sam = await staff_client(web, "sam", ["riverside"])
    assert report.reference in await (await sam.get("/feedback?overdue=yes")).text()
    page = await (await sam.get(f"/feedback/{report.id}")).text()
    assert f'action="/feedback/{report.id}/extend"' not in page  # not offered
    # Too late (Code 6.4-6.5): refused, and the answer stays overdue.
    refused = await post(sam, f"/feedback/{report.id}/extend", days="3", reason="Parts on order")
    assert refused.status == 400 and "already missed" in await refused.text()
    assert report.reference in await (await sam.get("/feedback?overdue=yes")).text()
    assert await rows(web, FeedbackExtension, feedback_id=report.id) == []

    async with sessions_of(web).begin() as db:
        due_today = await db.get(Feedback, report.id)
        assert due_today is not None
        due_today.response_due_on = today
    extended = await post(sam, f"/feedback/{report.id}/extend", days="3", reason="Parts on order")
    assert extended.status == 200
    async with sessions_of(web)() as db:
        stored = await db.get(Feedback, report.id)
        assert stored is not None
        now = utcnow()
        clock = deadlines.clocks_of(stored, now, today)
    # 3 working days: Thursday 30 April, Friday 1 May, (4 May a bank holiday) Tuesday 5 May.
    assert [c.due for c in clock if c.name.startswith("Respond")] == [date(2026, 5, 5)]


async def test_stage2_extension_allows_twenty_days(web: Web, neighbourhoods: None) -> None:
    report, _ = await complaint(web, status="acknowledged", acknowledged_at=utcnow())
    _, sam = await staff_client(web, "sam", ["riverside"])
    async with sessions_of(web).begin() as db:
        stored = await db.get(Feedback, report.id)
        assert stored is not None
        stored.complaint_stage, stored.status = 2, "in_progress"
    url = f"/feedback/{report.id}/extend"
    refused = await post(sam, url, days="21", reason="Independent review")
    assert refused.status == 400 and "up to 20 working days. For 21" in await refused.text()
    assert (await post(sam, url, days="20", reason="Independent review")).status == 200


# Wednesday 29 April 2026, noon in London: acknowledged now, the answer due 20 May, still
# ahead, whatever the wall clock says.
@time_machine.travel(datetime(2026, 4, 29, 12, 0, tzinfo=LONDON), tick=True)
async def test_a_longer_extension_keeps_its_good_reason_and_the_resident_is_told_it(
    web: Web, neighbourhoods: None
) -> None:
    report, _ = await complaint(
        web,
        status="in_progress",
        acknowledged_at=datetime(2026, 4, 29, 11, 0, tzinfo=LONDON),
    )
    _, sam = await staff_client(web, "sam", ["riverside"])
    cause = "The structural survey report is due in five weeks"
    done = await post(
        sam, f"/feedback/{report.id}/extend", days="25", reason="Surveyor", good_reason=cause
    )
    assert done.status == 200 and cause in await done.text()
    (extension,) = await rows(web, FeedbackExtension, feedback_id=report.id)
    assert (extension.working_days, extension.good_reason) == (25, cause)
    (told,) = await rows(web, Delivery, kind="extension")
    assert f"Why it takes longer than 10 working days: {cause}" in told.payload["text"]
    record = await (await sam.get(f"/feedback/{report.id}/record")).text()
    assert cause in record


async def test_photos_come_from_the_bot_api_as_jpeg_only(
    web_factory: WebFactory, neighbourhoods: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.sandbox.runner import start_sandbox
    from bot.sandbox.state import SandboxState

    state = SandboxState(TEST_TOKEN)
    runner, url = await start_sandbox(state)
    try:
        jpeg = state.add_file(JPEG, "photos", ".jpg", mime_type="image/jpeg")
        png = state.add_file(PNG, "photos", ".jpg", mime_type="image/jpeg")
        web = await web_factory(telegram_bot_token=TEST_TOKEN, telegram_api_base_url=f"{url}/bot")
        report, _ = await complaint(web)
        elsewhere, _ = await complaint(web, area="oakfield")
        async with sessions_of(web).begin() as db:
            photos = [
                FeedbackAttachment(
                    feedback_id=report.id, telegram_file_id=file_id, file_unique_id="u"
                )
                for file_id in (jpeg.file_id, png.file_id, "no-such-file")
            ]
            foreign = FeedbackAttachment(
                feedback_id=elsewhere.id, telegram_file_id=jpeg.file_id, file_unique_id="u"
            )
            db.add_all([*photos, foreign])
        good, not_jpeg, unknown = (f"/feedback/{report.id}/photos/{p.id}" for p in photos)
        viewer = await web.logged_in("viewer")

        page = await (await viewer.get(f"/feedback/{report.id}")).text()
        assert f'<img src="{good}" alt="Photo 1 from the resident"' in page
        shown = await viewer.get(good)
        assert shown.status == 200 and await shown.read() == JPEG
        assert shown.headers["Content-Type"] == "image/jpeg"
        assert shown.headers["Cache-Control"] == "private, max-age=3600"
        for path in (not_jpeg, unknown):
            placeholder = await viewer.get(path)
            assert placeholder.headers["Content-Type"] == "image/svg+xml", path
            assert placeholder.headers["Cache-Control"] == "no-store"
            assert b"Photo unavailable" in await placeholder.read()
        monkeypatch.setattr(telegram_files, "MAX_PHOTO_BYTES", len(JPEG) - 1)
        too_big = await viewer.get(good)
        assert too_big.headers["Content-Type"] == "image/svg+xml"
        monkeypatch.undo()

        for forged in (
            f"/feedback/{report.id}/photos/{foreign.id}",  # another report's photo
            f"/feedback/{elsewhere.id}/photos/{photos[0].id}",
            f"/feedback/{report.id}/photos/999999",
            f"/feedback/{report.id}/photos/abc",
            f"/feedback/{report.id}/photos/{'9' * 30}",
        ):
            assert (await viewer.get(forged)).status == 404, forged
        _, olu = await staff_client(web, "olu", ["oakfield"])
        assert (await olu.get(good)).status == 404
    finally:
        await runner.cleanup()


async def test_an_unreachable_bot_api_shows_a_placeholder(
    web_factory: WebFactory, neighbourhoods: None
) -> None:
    from tests.support.web import free_port

    web = await web_factory(
        telegram_bot_token=TEST_TOKEN,
        telegram_api_base_url=f"http://127.0.0.1:{free_port()}/bot",
    )
    report, _ = await complaint(web)
    async with sessions_of(web).begin() as db:
        photo = FeedbackAttachment(feedback_id=report.id, telegram_file_id="x", file_unique_id="u")
        db.add(photo)
    viewer = await web.logged_in("viewer")
    response = await viewer.get(f"/feedback/{report.id}/photos/{photo.id}")
    assert response.status == 200 and response.headers["Content-Type"] == "image/svg+xml"
    assert b"Photo unavailable" in await response.read()


async def test_the_full_record_downloads_with_everything_and_respects_anonymity(
    web: Web, neighbourhoods: None
) -> None:
    report, _ = await complaint(web, name="Priya Resident", shares_name=True)
    shy, _ = await complaint(web, name="Hidden Name", shares_name=False)
    _, ann_client = await staff_client(web, "ann", ["riverside"], "Ann Stageone")
    bo = await add_staff(web, ["riverside"])
    await post(ann_client, f"/feedback/{report.id}/acknowledge")
    await post(ann_client, f"/feedback/{report.id}/notes", body=f"Internal {SCRIPT}")
    await post(ann_client, f"/feedback/{report.id}/reply", text="We are on it.")
    await post(ann_client, f"/feedback/{report.id}/extend", days="4", reason="Awaiting parts")
    await post(ann_client, f"/feedback/{report.id}/escalate", handler_id=str(bo.id))

    viewer = await web.logged_in("viewer", "vic")
    response = await viewer.get(f"/feedback/{report.id}/record")
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/html")
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="record-{report.reference}.html"'
    )
    record = await response.text()
    for expected in (
        f"Complaint record: {report.reference}",
        "reached stage 2 of 2",
        "Priya Resident",
        "Ann Stageone",
        "Awaiting parts",
        "We are on it.",
        "Internal &lt;script&gt;alert(1)&lt;/script&gt;",
        "acknowledged",
        "escalated",
    ):
        assert expected in record, expected
    assert SCRIPT not in record
    # Stage 1 and stage 2 each have their two dates, met or not.
    deadlines = re.findall(r"<tr><td>([12])</td><td>(Acknowledge|Respond)</td>", record)
    assert deadlines == [
        ("1", "Acknowledge"),
        ("1", "Respond"),
        ("2", "Acknowledge"),
        ("2", "Respond"),
    ]
    assert 'class="met">met<' in record and 'class="running">running<' in record
    assert 'class="ended">stage ended by escalation before the date<' in record

    shy_record = await (await viewer.get(f"/feedback/{shy.id}/record")).text()
    assert "Hidden Name" not in shy_record and "did not share their name" in shy_record
    audit = await rows(web, AuditEntry, action="feedback.record_exported")
    assert [(a.actor, a.subject_id) for a in audit] == [
        ("web:vic", str(report.id)),
        ("web:vic", str(shy.id)),
    ]
    _, olu = await staff_client(web, "olu", ["oakfield"])
    assert (await olu.get(f"/feedback/{report.id}/record")).status == 404
    assert (await viewer.get("/feedback/999999/record")).status == 404


async def test_staff_of_another_neighbourhood_get_404_on_every_action(
    web: Web, neighbourhoods: None
) -> None:
    report, _ = await complaint(web)
    _, olu = await staff_client(web, "olu", ["oakfield"])
    token = csrf_of(await (await olu.get("/account")).text())
    for action, data in (
        ("notes", {"body": "x"}),
        ("assign", {"staff_id": ""}),
        ("escalate", {"handler_id": "1"}),
        ("extend", {"days": "1", "reason": "x"}),
    ):
        response = await olu.post(
            f"/feedback/{report.id}/{action}", data={"csrf_token": token, **data}
        )
        assert response.status == 404, action
        forged = await olu.post(f"/feedback/abc/{action}", data={"csrf_token": token, **data})
        assert forged.status == 404, action
        no_csrf = await olu.post(f"/feedback/{report.id}/{action}", data=data)
        assert no_csrf.status == 403, action
    assert (
        await rows(web, FeedbackNote) == []
        and await rows(web, AuditEntry, subject_type="feedback", subject_id=str(report.id)) == []
    )
