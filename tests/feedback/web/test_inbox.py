"""The feedback inbox over real HTTP on each database: filters, paging, sorting, clocks,
neighbourhood limits, and staff actions that write what the Telegram flow writes."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import time_machine
from sqlalchemy import func, insert, select

from bot.feedback import deadlines, inbox
from bot.feedback.statuses import STATUS_WORDS
from bot.models import (
    AuditEntry,
    Delivery,
    Feedback,
    FeedbackMessage,
    FeedbackStatusChange,
    Neighbourhood,
    Resident,
    StaffMember,
)
from bot.models.base import utcnow
from bot.staff.service import set_staff_neighbourhoods
from tests.feedback.factories import sessions_of
from tests.support.web import NOT_HELD, Web, csrf_of

REFERENCE = re.compile(r'<a href="/feedback/\d+">(FB-\d{4}-\d{5})</a>')
_numbers = iter(range(1, 1_000_000))


async def area_ids(web: Web) -> dict[str, int]:
    async with sessions_of(web)() as db:
        return {n.code: n.id for n in (await db.scalars(select(Neighbourhood))).all()}


async def add_report(web: Web, **fields: Any) -> Feedback:
    """A report inserted directly, as the bot would have stored it."""
    values: dict[str, Any] = {
        "reference": f"FB-2026-{next(_numbers):05d}",
        "category": "repairs",
        "description": "A dripping tap",
        "received_at": utcnow() - timedelta(hours=1),
        **fields,
    }
    async with sessions_of(web).begin() as db:
        report = Feedback(**values)
        db.add(report)
        await db.flush()
        db.add(
            FeedbackStatusChange(
                feedback_id=report.id, from_status=None, to_status="new", actor="resident"
            )
        )
    return report


async def add_resident(web: Web, area: int | None, name: str | None = "Ann") -> Resident:
    number = next(_numbers)
    async with sessions_of(web).begin() as db:
        resident = Resident(
            telegram_user_id=500_000 + number,
            chat_id=500_000 + number,
            display_name=name,
            neighbourhood_id=area,
            consented_at=utcnow(),
            onboarded_at=utcnow(),
        )
        db.add(resident)
    return resident


async def add_staff(web: Web, areas: list[str]) -> StaffMember:
    number = next(_numbers)
    async with sessions_of(web).begin() as db:
        member = StaffMember(
            telegram_user_id=700_000 + number, chat_id=700_000 + number, name="Sam", role="staff"
        )
        db.add(member)
        await db.flush()
        if areas:
            await set_staff_neighbourhoods(db, member.id, areas, actor="test")
    return member


async def listed(client: Any, query: str = "") -> list[str]:
    response = await client.get(f"/feedback?{query}")
    assert response.status == 200, (query, await response.text())
    return REFERENCE.findall(await response.text())


async def test_each_filter_narrows_the_list(web: Web, neighbourhoods: None) -> None:
    areas = await area_ids(web)
    long_ago = datetime(2026, 3, 2, 12, tzinfo=UTC)
    plain = await add_report(web, neighbourhood_id=areas["riverside"])
    complaint = await add_report(
        web,
        category="complaint",
        description="Nobody came about the lift",
        is_complaint=True,
        complaint_stage=1,
        neighbourhood_id=areas["oakfield"],
        received_at=long_ago,
        ack_due_on=date(2026, 3, 9),
        response_due_on=date(2026, 3, 23),
    )
    stage2 = await add_report(
        web,
        category="complaint",
        is_complaint=True,
        complaint_stage=2,
        status="escalated",
        ack_due_on=utcnow().date() + timedelta(days=10),
        response_due_on=utcnow().date() + timedelta(days=30),
    )
    closed = await add_report(web, category="damp_mould", status="closed")
    admin = await web.logged_in("admin")

    everything = {plain.reference, complaint.reference, stage2.reference, closed.reference}
    assert set(await listed(admin)) == everything
    expectations = {
        "status=closed": {closed.reference},
        "status=open": {plain.reference, complaint.reference, stage2.reference},
        "category=damp_mould": {closed.reference},
        f"neighbourhood={areas['oakfield']}": {complaint.reference},
        "stage=1": {complaint.reference},
        "stage=2": {stage2.reference},
        "stage=none": {plain.reference, closed.reference},
        "overdue=yes": {complaint.reference},
        "from=2026-03-01&to=2026-03-02": {complaint.reference},
        "from=2026-03-03": everything - {complaint.reference},
        "q=LIFT": {complaint.reference},
        f"q={complaint.reference.lower()}": {complaint.reference},
        "q=100%25": set(),  # LIKE wildcards are plain characters
        "status=open&category=complaint&stage=2": {stage2.reference},
    }
    for query, wanted in expectations.items():
        assert set(await listed(admin, query)) == wanted, query


async def test_text_search_takes_quotes_backslashes_and_wildcards_literally(web: Web) -> None:
    quoted = await add_report(web, description="Mrs O'Brien's door: 50% off its hinge \\ again")
    other = await add_report(web, description="Bins not collected")
    viewer = await web.logged_in("viewer")
    expectations = {
        "O'Brien's": {quoted.reference},
        "50%": {quoted.reference},
        "\\ again": {quoted.reference},
        "' OR 1=1 --": set(),
        "_": set(),
        "bins": {other.reference},
    }
    for words, wanted in expectations.items():
        assert set(await listed(viewer, urlencode({"q": words}))) == wanted, words


# Wednesday 2 December 2026, noon in London: "today" is the same day for the test and the
# pages, whatever the wall clock says.
@time_machine.travel(datetime(2026, 12, 2, 12, 0, tzinfo=ZoneInfo("Europe/London")), tick=True)
async def test_paging_and_sorting(web: Web) -> None:
    start = utcnow() - timedelta(days=40)
    made = [
        await add_report(web, received_at=start + timedelta(days=n))
        for n in range(inbox.PAGE_SIZE + 3)
    ]
    due_soon = await add_report(
        web,
        is_complaint=True,
        complaint_stage=1,
        category="complaint",
        received_at=start - timedelta(days=1),
        ack_due_on=utcnow().date() + timedelta(days=2),
        response_due_on=utcnow().date() + timedelta(days=20),
    )
    due_sooner = await add_report(
        web,
        category="damp_mould",
        hazard_kind="damp_mould",  # as the bot stores a damp and mould report
        investigate_due_on=utcnow().date() + timedelta(days=1),
    )
    admin = await web.logged_in("viewer")
    newest = [r.reference for r in sorted(made, key=lambda r: r.received_at, reverse=True)]
    first = await listed(admin)
    assert len(first) == inbox.PAGE_SIZE and first[0] == due_sooner.reference
    assert first[1 : inbox.PAGE_SIZE] == newest[: inbox.PAGE_SIZE - 1]
    page = await admin.get("/feedback")
    assert "Next page" in await page.text() and "30 reports match" in await page.text()
    second = await listed(admin, "page=2")
    assert second == [*newest[inbox.PAGE_SIZE - 1 :], due_soon.reference]
    oldest = await listed(admin, "sort=oldest")
    assert oldest[:2] == [due_soon.reference, made[0].reference]
    by_due = await listed(admin, "sort=due")
    assert by_due[:2] == [due_sooner.reference, due_soon.reference]
    assert await listed(admin, "sort=due&page=2") != []


async def test_past_the_count_limit_the_page_says_more_than_and_paging_goes_on(web: Web) -> None:
    limit = inbox.COUNT_LIMIT
    start = utcnow() - timedelta(days=30)
    # limit + 2 reports mention the boiler (the 2 oldest are complaints); 3 others do not.
    async with sessions_of(web).begin() as db:
        await db.execute(
            insert(Feedback),
            [
                {
                    "reference": f"FB-2025-{n:05d}",
                    "category": "complaint" if n < 2 else "repairs",
                    "description": f"The boiler is broken again ({n})",
                    "received_at": start + timedelta(minutes=n),
                }
                for n in range(limit + 2)
            ]
            + [
                {
                    "reference": f"FB-2025-{limit + 10 + n:05d}",
                    "category": "repairs",
                    "description": "A dripping tap",
                    "received_at": start - timedelta(minutes=n + 1),
                }
                for n in range(3)
            ],
        )
    viewer = await web.logged_in("viewer")
    more = f"More than {limit:,} reports match"
    newest = [f"FB-2025-{n:05d}" for n in range(limit + 1, -1, -1)]  # the boilers, newest first

    page = await viewer.get("/feedback?q=boiler")
    text = await page.text()
    assert more in text and "Page 1." in text and "Next page" in text, text
    assert re.search(r"(?<![\d,])\d+ reports? match", text) is None  # no made-up number
    assert REFERENCE.findall(text) == newest[: inbox.PAGE_SIZE]
    assert more in await (await viewer.get("/feedback")).text()  # every report counts too

    # Paging is not limited by the count: the last boiler page holds the last two reports.
    last = limit // inbox.PAGE_SIZE + 1
    text = await (await viewer.get(f"/feedback?q=boiler&page={last - 1}")).text()
    assert "Next page" in text and more in text
    text = await (await viewer.get(f"/feedback?q=boiler&page={last}")).text()
    assert REFERENCE.findall(text) == newest[-2:]
    assert "Next page" not in text and "Previous page" in text

    # Exactly the limit is still counted exactly, with its number of pages.
    text = await (await viewer.get("/feedback?q=boiler&category=repairs")).text()
    assert f"{limit} reports match. Page 1 of {limit // inbox.PAGE_SIZE}." in text
    assert more not in text
    text = await (await viewer.get("/feedback?q=boiler&category=complaint")).text()
    assert "2 reports match. Page 1 of 1." in text and "Next page" not in text


async def test_overdue_reports_are_marked_in_the_list_and_on_the_report(web: Web) -> None:
    today = utcnow().date()
    late = await add_report(
        web,
        category="complaint",
        is_complaint=True,
        complaint_stage=1,
        ack_due_on=today - timedelta(days=3),
        response_due_on=today + timedelta(days=7),
    )
    safe_late = await add_report(
        web, urgent=True, hazard_kind="emergency", make_safe_due_at=utcnow() - timedelta(hours=1)
    )
    acknowledged = await add_report(
        web,
        category="complaint",
        is_complaint=True,
        complaint_stage=1,
        status="acknowledged",
        ack_due_on=today - timedelta(days=3),
        response_due_on=today + timedelta(days=7),
    )
    viewer = await web.logged_in("viewer")
    page = await (await viewer.get("/feedback")).text()
    rows = {
        ref: cls
        for cls, ref in re.findall(
            r'<tr class="([^"]*)">\s*<td class="nowrap"><a href="/feedback/\d+">([^<]+)</a>', page
        )
    }
    assert rows == {
        late.reference: "overdue",
        safe_late.reference: "overdue",
        acknowledged.reference: "",
    }
    detail = await (await viewer.get(f"/feedback/{late.id}")).text()
    assert "OVERDUE" in detail and "Acknowledge (Code, stage 1)" in detail
    assert "OVERDUE" not in await (await viewer.get(f"/feedback/{acknowledged.id}")).text()

    # The SQL rule and the one the pages show agree on every report.
    now = utcnow()
    async with sessions_of(web)() as db:
        flagged = set(
            (
                await db.scalars(select(Feedback.id).where(deadlines.overdue_condition(now, today)))
            ).all()
        )
        for report in (await db.scalars(select(Feedback))).all():
            marked = any(c.overdue for c in deadlines.clocks_of(report, now, today))
            assert marked == (report.id in flagged), report.reference


async def test_staff_see_only_their_neighbourhoods(web: Web, neighbourhoods: None) -> None:
    areas = await area_ids(web)
    ours = await add_report(web, neighbourhood_id=areas["riverside"])
    theirs = await add_report(web, neighbourhood_id=areas["oakfield"])
    nowhere = await add_report(web)
    member = await add_staff(web, ["riverside"])
    staff = await web.logged_in("staff", "sam", staff_member_id=member.id)
    assert await listed(staff) == [ours.reference]
    assert (await staff.get(f"/feedback/{ours.id}")).status == 200
    for report in (theirs, nowhere):
        assert (await staff.get(f"/feedback/{report.id}")).status == 404
    token = csrf_of(await (await staff.get(f"/feedback/{ours.id}")).text())
    refused = await staff.post(f"/feedback/{theirs.id}/acknowledge", data={"csrf_token": token})
    assert refused.status == 404
    wrong_area = await staff.get(f"/feedback?neighbourhood={areas['oakfield']}")
    assert wrong_area.status == 400 and "There is no such neighbourhood." in await wrong_area.text()
    unlinked = await web.logged_in("staff", "nobody")
    assert await listed(unlinked) == []
    admin = await web.logged_in("admin")
    assert set(await listed(admin)) == {ours.reference, theirs.reference, nowhere.reference}
    async with sessions_of(web)() as db:
        theirs_now = await db.get(Feedback, theirs.id)
    assert theirs_now is not None and theirs_now.status == "new"


async def test_viewers_read_everything_but_have_no_actions(web: Web) -> None:
    resident = await add_resident(web, None)
    report = await add_report(web, resident_id=resident.id, shares_name=True)
    viewer = await web.logged_in("viewer")
    page = await (await viewer.get(f"/feedback/{report.id}")).text()
    assert report.reference in page and "Ann" in page
    assert "/acknowledge" not in page and "Send reply" not in page
    token = csrf_of(page)  # the logout form's
    for action, data in [
        ("acknowledge", {}),
        ("status", {"status": "resolved"}),
        ("reply", {"text": "Hi"}),
    ]:
        response = await viewer.post(
            f"/feedback/{report.id}/{action}", data={"csrf_token": token, **data}
        )
        assert response.status == 403
    async with sessions_of(web)() as db:
        assert await db.scalar(select(func.count()).select_from(Delivery)) == 0
        stored = await db.get(Feedback, report.id)
        assert stored is not None and stored.status == "new"


async def test_the_resident_is_shown_only_as_they_allowed(web: Web) -> None:
    named = await add_resident(web, None, name="Beatrice")
    shy = await add_resident(web, None, name="Clementine")
    shared = await add_report(web, resident_id=named.id, shares_name=True)
    private = await add_report(web, resident_id=shy.id, shares_name=False)
    gone = await add_report(
        web, resident_id=None, anonymised_at=utcnow(), latitude=51.5, longitude=-0.12
    )
    viewer = await web.logged_in("viewer")
    assert "Beatrice" in await (await viewer.get(f"/feedback/{shared.id}")).text()
    shy_page = await (await viewer.get(f"/feedback/{private.id}")).text()
    assert "Clementine" not in shy_page and "chose not to share their name" in shy_page
    gone_page = await (await viewer.get(f"/feedback/{gone.id}")).text()
    assert "anonymised" in gone_page and "can no longer be contacted" in gone_page
    assert "https://www.openstreetmap.org/?mlat=51.50000&amp;mlon=-0.12000" in gone_page


@time_machine.travel(datetime(2026, 12, 2, 12, 0, tzinfo=ZoneInfo("Europe/London")), tick=True)
async def test_staff_actions_write_what_the_telegram_flow_writes(
    web: Web, neighbourhoods: None
) -> None:
    # At noon, outside quiet hours: the reply goes at once (the evening: test_evening.py).
    areas = await area_ids(web)
    resident = await add_resident(web, areas["riverside"])
    report = await add_report(
        web,
        resident_id=resident.id,
        neighbourhood_id=areas["riverside"],
        category="complaint",
        is_complaint=True,
        complaint_stage=1,
        ack_due_on=utcnow().date() + timedelta(days=7),
        response_due_on=utcnow().date() + timedelta(days=21),
    )
    member = await add_staff(web, ["riverside"])
    staff = await web.logged_in("staff", "sam", staff_member_id=member.id)
    page = await (await staff.get(f"/feedback/{report.id}")).text()
    token = csrf_of(page)

    acked = await staff.post(
        f"/feedback/{report.id}/acknowledge", data={"csrf_token": token}, allow_redirects=False
    )
    assert acked.status == 303 and acked.headers["Location"].endswith("done=acknowledged")
    moved = await staff.post(
        f"/feedback/{report.id}/status",
        data={"csrf_token": token, "status": "in_progress", "note": "Lift engineer booked"},
    )
    assert moved.status == 200 and "The status has changed" in await moved.text()
    replied = await staff.post(
        f"/feedback/{report.id}/reply",
        data={"csrf_token": token, "text": "We have booked the engineer for Monday."},
    )
    body = await replied.text()
    assert replied.status == 200 and NOT_HELD.search(body)  # read back as the worker sends
    assert "We have booked the engineer for Monday." in body
    refused = await staff.post(
        f"/feedback/{report.id}/status", data={"csrf_token": token, "status": "new"}
    )
    assert (
        refused.status == 400
        and "be changed to that status from where it is now" in await refused.text()
    )
    empty = await staff.post(
        f"/feedback/{report.id}/reply", data={"csrf_token": token, "text": " "}
    )
    assert empty.status == 400

    actor = f"staff:{member.id}"
    async with sessions_of(web)() as db:
        stored = await db.get(Feedback, report.id)
        deliveries = (await db.scalars(select(Delivery).order_by(Delivery.id))).all()
        audit = (
            await db.scalars(
                select(AuditEntry)
                .where(AuditEntry.subject_type == "feedback")
                .order_by(AuditEntry.id)
            )
        ).all()
        history = (
            await db.scalars(
                select(FeedbackStatusChange)
                .where(FeedbackStatusChange.feedback_id == report.id)
                .order_by(FeedbackStatusChange.id)
            )
        ).all()
        thread = (await db.scalars(select(FeedbackMessage))).all()
    assert stored is not None and stored.status == "in_progress"
    assert stored.acknowledged_at is not None
    to_resident = [d for d in deliveries if d.resident_id == resident.id]
    assert [d.kind for d in to_resident] == ["status_change", "status_change", "staff_reply"]
    assert all(d.chat_id == resident.chat_id and d.feedback_id == report.id for d in to_resident)
    assert STATUS_WORDS["acknowledged"].split(" - ")[0] in str(to_resident[0].payload)
    assert "We have booked the engineer for Monday." in str(to_resident[2].payload)
    assert [(a.actor, a.action) for a in audit] == [
        (actor, "feedback.acknowledged"),
        (actor, "feedback.status_changed"),
        (actor, "feedback.replied"),
    ]
    assert [(h.to_status, h.actor, h.note) for h in history] == [
        ("new", "resident", None),
        ("acknowledged", actor, None),
        ("in_progress", actor, "Lift engineer booked"),
    ]
    assert [(m.author, m.staff_id) for m in thread] == [("staff", member.id)]


async def test_an_account_not_linked_to_a_staff_member_cannot_act(web: Web) -> None:
    resident = await add_resident(web, None)
    report = await add_report(web, resident_id=resident.id)
    admin = await web.logged_in("admin")
    page = await (await admin.get(f"/feedback/{report.id}")).text()
    assert "not linked to an active staff member" in page and "Send reply" not in page
    response = await admin.post(
        f"/feedback/{report.id}/acknowledge", data={"csrf_token": csrf_of(page)}
    )
    assert response.status == 403 and "Ask an admin to link it" in await response.text()
    async with sessions_of(web)() as db:
        assert await db.scalar(select(func.count()).select_from(Delivery)) == 0
        stored = await db.get(Feedback, report.id)
        assert stored is not None and stored.status == "new"


async def test_bad_filter_values_get_a_plain_message(web: Web) -> None:
    viewer = await web.logged_in("viewer")
    cases = {
        "status=lost": "There is no such status.",
        "category=%3Cscript%3E": "There is no such category.",
        "neighbourhood=abc": "There is no such neighbourhood.",
        "neighbourhood=%C2%B2": "There is no such neighbourhood.",  # "²"
        "neighbourhood=99999": "There is no such neighbourhood.",
        "stage=3": "The complaint stage must be 1, 2 or not a complaint.",
        "overdue=maybe": "Overdue only is either ticked or not.",
        "from=yesterday": "The from date must look like 2026-04-30.",
        "from=2026-05-02&to=2026-05-01": "The from date must not be after the to date.",
        "q=" + "x" * 101: "Search for at most 100 characters.",
        "q=boiler%00": "without control characters",
        "q=%0Aboiler%1B": "without control characters",
        "hazard=maybe": "Hazard cases only is either ticked or not.",
        "sort=random": "The list can be sorted by newest, oldest or next due date.",
        "page=0": "The page must be a number from 1 to 400.",
        "page=-1": "The page must be a number from 1 to 400.",
        "page=%C2%B2": "The page must be a number from 1 to 400.",
    }
    for query, message in cases.items():
        response = await viewer.get(f"/feedback?{query}")
        assert response.status == 400, query
        assert message in await response.text(), query
    assert (await viewer.get("/feedback/abc")).status == 404
    assert (await viewer.get("/feedback/999999")).status == 404
