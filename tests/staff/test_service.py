"""Staff rules on a real database (SQLite and PostgreSQL): invites, routing, the lifecycle,
replies, deadline warnings, and the outbox rows each of them writes."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.config import load_settings
from bot.delivery.outbox import Priority, QuietHours
from bot.errors import InvalidInput, NotFound, StaleAction
from bot.feedback import clocks
from bot.feedback import service as feedback
from bot.feedback.service import ReportDraft, StaffNotices, submit_report
from bot.models import (
    AuditEntry,
    Delivery,
    Feedback,
    FeedbackDeadlineAlert,
    FeedbackMessage,
    FeedbackStatusChange,
    Neighbourhood,
    Resident,
    StaffInvite,
    StaffMember,
)
from bot.models.base import utcnow
from bot.residents import service as residents
from bot.residents.privacy import forget_resident
from bot.staff import service as staff_service
from bot.staff.jobs import warn_of_complaint_deadlines

TZ = ZoneInfo("Europe/London")
REGION = "england-and-wales"
NOTICES = StaffNotices(tz=TZ, region=REGION)
# A Monday morning in March 2026: no bank holidays for weeks either side.
MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


async def make_staff(
    sessions, telegram_user_id: int, role: str = "staff", name: str = "Sam"
) -> StaffMember:  # type: ignore[no-untyped-def]
    async with sessions.begin() as session:
        issued = await staff_service.create_invite(session, role, name, 7)
        return await staff_service.redeem_invite(
            session, issued.code, telegram_user_id, telegram_user_id, "Telegram Name"
        )


async def make_resident(
    sessions, telegram_user_id: int, area: str | None = "riverside", language: str = "en"
) -> Resident:  # type: ignore[no-untyped-def]
    async with sessions.begin() as session:
        neighbourhood = (
            await session.scalar(select(Neighbourhood).where(Neighbourhood.code == area))
            if area
            else None
        )
        resident = await residents.register_resident(
            session, telegram_user_id, telegram_user_id, language, neighbourhood
        )
        resident.display_name = "Ann"
        residents.finish_onboarding(resident)
        return resident


async def make_report(
    sessions,  # type: ignore[no-untyped-def]
    resident: Resident,
    *,
    category: str = "repairs",
    complaint: bool = False,
    urgent: bool = False,
    share_name: bool = True,
    aware_at: datetime | None = None,
    notices: StaffNotices = NOTICES,
) -> Feedback:
    draft = ReportDraft(
        category=category,
        description="The kitchen tap is leaking.",
        is_complaint=complaint,
        urgent=urgent,
        shares_name=share_name,
        aware_at=aware_at.isoformat() if aware_at else None,
    )
    async with sessions.begin() as session:
        fresh = await session.get(Resident, resident.id)
        assert fresh is not None
        return await submit_report(session, fresh, draft, tz=TZ, region=REGION, notices=notices)


async def deliveries(sessions, **where: object) -> list[Delivery]:  # type: ignore[no-untyped-def]
    async with sessions() as session:
        query = select(Delivery).order_by(Delivery.id)
        for column, value in where.items():
            query = query.where(getattr(Delivery, column) == value)
        return list((await session.scalars(query)).all())


async def audit_actions(sessions) -> list[str]:  # type: ignore[no-untyped-def]
    async with sessions() as session:
        return list(await session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


# ----- invites ----------------------------------------------------------------------------------


async def test_an_invite_works_once_and_only_its_hash_is_kept(sessions) -> None:  # type: ignore[no-untyped-def]
    async with sessions.begin() as session:
        issued = await staff_service.create_invite(session, "admin", "Priya", 7)
    assert len(issued.code) >= 16  # 128 random bits, URL-safe
    async with sessions() as session:
        invite = await session.scalar(select(StaffInvite))
    assert invite is not None
    assert invite.code_hash == hashlib.sha256(issued.code.encode()).hexdigest()
    assert issued.code not in (invite.code_hash, invite.name)
    assert invite.expires_at - invite.created_at == timedelta(days=7)

    async with sessions.begin() as session:
        member = await staff_service.redeem_invite(session, issued.code, 501, 501, "Tg Name")
    assert (member.role, member.name, member.active) == ("admin", "Priya", True)
    with pytest.raises(InvalidInput, match="already been used"):
        async with sessions.begin() as session:
            await staff_service.redeem_invite(session, issued.code, 502, 502, "Mallory")
    with pytest.raises(NotFound, match="not right"):
        async with sessions.begin() as session:
            await staff_service.redeem_invite(session, "not-a-code", 502, 502, "Mallory")
    with pytest.raises(NotFound):
        async with sessions.begin() as session:
            await staff_service.redeem_invite(session, "  ", 502, 502, "Mallory")
    async with sessions() as session:
        members = (await session.scalars(select(StaffMember))).all()
        invite = await session.scalar(select(StaffInvite))
    assert [m.telegram_user_id for m in members] == [501]
    assert invite is not None and invite.used_by_staff_id == members[0].id
    assert await audit_actions(sessions) == ["staff.invite_created", "staff.invite_redeemed"]


async def test_an_expired_invite_is_refused(sessions) -> None:  # type: ignore[no-untyped-def]
    async with sessions.begin() as session:
        issued = await staff_service.create_invite(
            session, "staff", None, 7, now=utcnow() - timedelta(days=7, seconds=1)
        )
    with pytest.raises(InvalidInput, match="expired"):
        async with sessions.begin() as session:
            await staff_service.redeem_invite(session, issued.code, 503, 503, "Late")
    async with sessions() as session:
        assert await session.scalar(select(StaffMember)) is None


async def test_two_people_racing_with_one_code_give_one_staff_member(sessions) -> None:  # type: ignore[no-untyped-def]
    async with sessions.begin() as session:
        issued = await staff_service.create_invite(session, "staff", None, 7)

    async def redeem(user_id: int) -> bool:
        try:
            async with sessions.begin() as session:
                await staff_service.redeem_invite(session, issued.code, user_id, user_id, "X")
        except InvalidInput:
            return False
        return True

    outcomes = await asyncio.gather(*(redeem(600 + n) for n in range(5)))
    assert sorted(outcomes) == [False] * 4 + [True]
    async with sessions() as session:
        assert len((await session.scalars(select(StaffMember))).all()) == 1


async def test_bad_invites_are_refused(sessions) -> None:  # type: ignore[no-untyped-def]
    async with sessions.begin() as session:
        with pytest.raises(InvalidInput, match="staff or admin"):
            await staff_service.create_invite(session, "resident", None, 7)
        with pytest.raises(InvalidInput, match="An invite can last") as too_short:
            await staff_service.create_invite(session, "staff", None, 0)
        assert too_short.value.params == {"limit": 90}
        with pytest.raises(InvalidInput, match="too long") as too_long:
            await staff_service.create_invite(session, "staff", "N" * 65, 7)
        assert too_long.value.params == {"limit": 64, "length": 65}


async def test_revoking_takes_the_role_away_and_a_new_invite_gives_it_back(sessions) -> None:  # type: ignore[no-untyped-def]
    member = await make_staff(sessions, 510)
    async with sessions.begin() as session:
        assert await staff_service.revoke_staff(session, member.id, "cli") is True
        assert await staff_service.revoke_staff(session, member.id, "cli") is False
        with pytest.raises(NotFound):
            await staff_service.revoke_staff(session, 999_999, "cli")
        assert await staff_service.find_staff(session, 510) is None
    again = await make_staff(sessions, 510, role="admin", name="Sam Again")
    assert again.id == member.id and again.role == "admin" and again.active
    async with sessions() as session:
        row = await session.get(StaffMember, member.id)
    assert row is not None and row.revoked_at is None
    assert (await audit_actions(sessions)).count("staff.revoked") == 1


# ----- who hears about a report -----------------------------------------------------------------


async def test_notifications_go_to_the_staff_covering_the_neighbourhood(
    sessions, neighbourhoods
) -> None:  # type: ignore[no-untyped-def]
    riverside_only = await make_staff(sessions, 701, name="River")
    oakfield_only = await make_staff(sessions, 702, name="Oak")
    everywhere = await make_staff(sessions, 703, name="All")
    async with sessions.begin() as session:
        areas = {a.code: a.id for a in (await session.scalars(select(Neighbourhood))).all()}
        assert await staff_service.set_staff_neighbourhoods(
            session, riverside_only.id, ["Riverside"], "cli"
        ) == ["Riverside Estate"]
        assert await staff_service.set_staff_neighbourhoods(
            session, oakfield_only.id, ["oakfield", " "], "cli"
        ) == ["Oakfield Gardens"]
    async with sessions.begin() as session:
        with pytest.raises(NotFound):  # an unknown code changes nothing
            await staff_service.set_staff_neighbourhoods(
                session, oakfield_only.id, ["riverside", "atlantis"], "cli"
            )
    async with sessions() as session:
        audit = (
            await session.scalars(
                select(AuditEntry).where(AuditEntry.action == "staff.neighbourhoods_set")
            )
        ).all()
        assert [entry.details["after"] for entry in audit] == [["riverside"], ["oakfield"]]
    async with sessions() as session:
        chats = await staff_service.staff_chats_for(session, areas["riverside"])
        assert {c.staff_id for c in chats} == {riverside_only.id, everywhere.id}
        chats = await staff_service.staff_chats_for(session, None)
        assert {c.staff_id for c in chats} == {everywhere.id}
        group = await staff_service.staff_chats_for(session, areas["riverside"], -100123)
        assert group == [staff_service.StaffChat(-100123, None)]
    async with sessions.begin() as session:
        await staff_service.revoke_staff(session, everywhere.id, "cli")
        await staff_service.revoke_staff(session, riverside_only.id, "cli")
    async with sessions() as session:
        # Nobody covers Riverside any more: every active member hears, so nothing is unseen.
        chats = await staff_service.staff_chats_for(session, areas["riverside"])
        assert {c.staff_id for c in chats} == {oakfield_only.id}


async def test_a_new_report_writes_staff_notifications_in_its_own_transaction(
    sessions, neighbourhoods
) -> None:  # type: ignore[no-untyped-def]
    first = await make_staff(sessions, 711)
    second = await make_staff(sessions, 712)
    resident = await make_resident(sessions, 811)
    report = await make_report(sessions, resident, complaint=True)
    rows = await deliveries(sessions, kind="notification")
    assert {(r.staff_id, r.chat_id) for r in rows} == {(first.id, 711), (second.id, 712)}
    text = rows[0].payload["text"]
    assert text.startswith(f"New complaint {report.reference}")
    for line in (
        "Category: Repairs",
        "Complaint: yes, stage 1",
        "Neighbourhood: Riverside Estate",
        "From: Ann",
        "Acknowledge by: ",
        "Respond by: ",
        "The kitchen tap is leaking.",
    ):
        assert line in text
    assert rows[0].payload["buttons"] == [
        [
            {"text": "Acknowledge", "data": f"0:stf:ack:{report.id}"},
            {"text": "Reply", "data": f"0:stf:reply:{report.id}"},
        ],
        [{"text": "Change status", "data": f"0:stf:status:{report.id}"}],
    ]
    assert all(r.feedback_id == report.id and r.priority == Priority.NOTIFICATION for r in rows)

    # The resident's name only when they chose to share it.
    anonymous = await make_report(sessions, resident, share_name=False)
    rows = await deliveries(sessions, kind="notification", feedback_id=anonymous.id)
    assert rows and all("Ann" not in r.payload["text"] for r in rows)

    # A report that is rolled back leaves no notification behind.
    class Boom(Exception):
        pass

    before = len(await deliveries(sessions))
    with pytest.raises(Boom):
        async with sessions.begin() as session:
            fresh = await session.get(Resident, resident.id)
            assert fresh is not None
            await submit_report(
                session,
                fresh,
                ReportDraft(category="repairs", description="x"),
                tz=TZ,
                region=REGION,
                notices=NOTICES,
            )
            raise Boom
    assert len(await deliveries(sessions)) == before


async def test_urgent_reports_and_hazards_go_first_even_in_quiet_hours(
    sessions, neighbourhoods
) -> None:  # type: ignore[no-untyped-def]
    await make_staff(sessions, 721)
    resident = await make_resident(sessions, 821)
    local_now = utcnow().astimezone(TZ)
    quiet = QuietHours(
        (local_now - timedelta(hours=1)).time(), (local_now + timedelta(hours=1)).time(), TZ
    )
    notices = StaffNotices(tz=TZ, region=REGION, quiet_hours=quiet)
    ordinary = await make_report(sessions, resident, notices=notices)
    emergency = await make_report(sessions, resident, urgent=True, notices=notices)
    damp = await make_report(sessions, resident, category="damp_mould", notices=notices)
    (held,) = await deliveries(sessions, feedback_id=ordinary.id)
    assert not held.urgent and held.not_before > held.created_at + timedelta(minutes=30)
    for report, header in ((emergency, "URGENT - new report"), (damp, "Hazard - new report")):
        (row,) = await deliveries(sessions, feedback_id=report.id)
        assert row.urgent and row.priority == Priority.URGENT
        assert row.not_before == row.created_at
        assert row.payload["text"].startswith(f"{header} {report.reference}")
    (row,) = await deliveries(sessions, feedback_id=emergency.id)
    assert "Urgent: yes - make safe by" in row.payload["text"]


# ----- acknowledge and the lifecycle -------------------------------------------------------------


async def test_acknowledging_a_complaint_restarts_its_response_clock_and_tells_the_resident(
    sessions, neighbourhoods
) -> None:  # type: ignore[no-untyped-def]
    staff = await make_staff(sessions, 731)
    resident = await make_resident(sessions, 831, language="cy")
    report = await make_report(sessions, resident, complaint=True, aware_at=MONDAY)
    assert report.ack_due_on == date(2026, 3, 9)
    assert report.response_due_on == date(2026, 3, 23)  # 10 working days after the ack deadline
    tuesday = MONDAY + timedelta(days=1)
    async with sessions.begin() as session:
        outcome = await feedback.acknowledge(session, report.id, staff, NOTICES, now=tuesday)
    assert outcome.changed and outcome.resident == "told"
    async with sessions() as session:
        row = await session.get(Feedback, report.id)
        changes = (
            await session.scalars(
                select(FeedbackStatusChange).where(FeedbackStatusChange.feedback_id == report.id)
            )
        ).all()
    assert row is not None and row.status == "acknowledged"
    assert row.acknowledged_at == tuesday
    due = clocks.complaint_due_dates(MONDAY, TZ, REGION, acknowledged_at=tuesday)
    assert row.response_due_on == due.respond_by == date(2026, 3, 17)
    assert [(c.from_status, c.to_status, c.actor) for c in changes] == [
        (None, "new", "resident"),
        ("new", "acknowledged", f"staff:{staff.id}"),
    ]
    (told,) = await deliveries(sessions, kind="status_change")
    assert told.chat_id == 831 and told.resident_id == resident.id
    assert told.priority == Priority.REPLY
    # In the resident's language (Welsh), in plain words, with the new date.
    assert told.payload["text"].startswith(f"Newyddion am eich adroddiad {report.reference}")
    assert "17 Maw 2026" in told.payload["text"]

    async with sessions.begin() as session:
        again = await feedback.acknowledge(session, report.id, staff, NOTICES)
    assert not again.changed
    assert len(await deliveries(sessions, kind="status_change")) == 1
    assert (await audit_actions(sessions)).count("feedback.acknowledged") == 1


async def test_the_lifecycle_allows_only_its_own_steps(sessions, neighbourhoods) -> None:  # type: ignore[no-untyped-def]
    staff = await make_staff(sessions, 741)
    resident = await make_resident(sessions, 841)
    repair = await make_report(sessions, resident)
    complaint = await make_report(sessions, resident, complaint=True, aware_at=MONDAY)

    async def move(report: Feedback, status: str, when: datetime | None = None) -> Feedback:
        async with sessions.begin() as session:
            outcome = await feedback.change_status(
                session, report.id, status, staff, NOTICES, now=when
            )
        return outcome.report

    async with sessions() as session:
        fresh = await session.get(Feedback, repair.id)
        assert fresh is not None
        assert feedback.allowed_statuses(fresh) == [
            "acknowledged",
            "in_progress",
            "resolved",
            "duplicate",
            "no_further_action",
            "withdrawn",
        ]
    for impossible in ("escalated", "not_a_complaint", "closed"):
        with pytest.raises(InvalidInput, match="can't be changed to that status"):
            await move(repair, impossible)
    with pytest.raises(StaleAction):
        await move(repair, "bogus")
    with pytest.raises(NotFound):
        async with sessions.begin() as session:
            await feedback.change_status(session, 10**9, "closed", staff, NOTICES)

    moved = await move(repair, "in_progress")
    assert moved.acknowledged_at is not None  # the first staff step acknowledges
    moved = await move(repair, "resolved")
    assert moved.resolved_at is not None and moved.closed_at is None
    moved = await move(repair, "closed")
    assert moved.closed_at is not None
    with pytest.raises(InvalidInput):
        await move(repair, "in_progress")

    # A complaint: escalation to stage 2 restarts the Code's clock from the escalation.
    await move(complaint, "acknowledged", MONDAY + timedelta(days=1))
    await move(complaint, "resolved", MONDAY + timedelta(days=7))
    escalated_on = MONDAY + timedelta(days=14)  # Monday 16 March
    moved = await move(complaint, "escalated", escalated_on)
    assert moved.complaint_stage == 2
    assert moved.ack_due_on == date(2026, 3, 23)
    assert moved.response_due_on == date(2026, 4, 22)  # 20 working days, Easter skipped
    async with sessions.begin() as session:  # a double press changes nothing
        again = await feedback.change_status(session, complaint.id, "escalated", staff, NOTICES)
    assert not again.changed and again.report.ack_due_on == date(2026, 3, 23)
    moved = await move(complaint, "acknowledged", escalated_on + timedelta(days=1))
    assert moved.response_due_on == clocks.add_working_days(date(2026, 3, 17), 20, REGION)
    with pytest.raises(InvalidInput):
        await move(complaint, "escalated")  # the Code has two stages, not three
    moved = await move(complaint, "not_a_complaint")
    assert moved.closed_at is not None
    async with sessions() as session:
        history = list(
            await session.scalars(
                select(FeedbackStatusChange.to_status)
                .where(FeedbackStatusChange.feedback_id == complaint.id)
                .order_by(FeedbackStatusChange.id)
            )
        )
    assert history == [
        "new",
        "acknowledged",
        "resolved",
        "escalated",
        "acknowledged",
        "not_a_complaint",
    ]
    told = await deliveries(sessions, kind="status_change", feedback_id=complaint.id)
    texts = [r.payload["text"] for r in told]
    assert "Escalated - being reviewed at stage 2" in texts[2]
    assert "stage 2 of 2" in texts[2] and "23 Mar 2026" in texts[2]
    assert "Closed - logged as a service request" in texts[-1]


# ----- the thread --------------------------------------------------------------------------------


async def test_a_reply_reaches_the_resident_and_their_answer_reaches_the_replier(
    sessions, neighbourhoods
) -> None:  # type: ignore[no-untyped-def]
    replier = await make_staff(sessions, 751, name="Replier")
    other = await make_staff(sessions, 752, name="Other")
    resident = await make_resident(sessions, 851)
    stranger = await make_resident(sessions, 852)
    report = await make_report(sessions, resident)
    async with sessions.begin() as session:
        for bad in ("", "\u200b", "x" * (feedback.REPLY_MAX_LENGTH + 1), None):
            with pytest.raises(InvalidInput):
                await feedback.add_staff_reply(session, report.id, replier, bad, NOTICES)
        outcome = await feedback.add_staff_reply(
            session, report.id, replier, "A plumber comes on Tuesday.", NOTICES
        )
    assert outcome.resident_active
    (reply,) = await deliveries(sessions, kind="staff_reply")
    assert reply.chat_id == 851 and reply.priority == Priority.REPLY
    assert reply.payload["text"].startswith(f"Reply about {report.reference}:\n\n")
    assert "A plumber comes on Tuesday." in reply.payload["text"]
    assert reply.payload["buttons"] == [[{"text": "Reply", "data": f"0:fbr:{report.id}"}]]

    async with sessions.begin() as session:
        with pytest.raises(StaleAction):
            await feedback.add_resident_answer(session, stranger, report.id, "Mine!", NOTICES)
        await feedback.add_resident_answer(
            session, resident, report.id, "Tuesday is fine.", NOTICES
        )
    answers = [
        r for r in await deliveries(sessions, kind="notification") if r.feedback_id == report.id
    ]
    # The new-report notification went to both; the answer only to the one who replied.
    assert [r.staff_id for r in answers] == [replier.id, other.id, replier.id]
    assert (
        answers[-1]
        .payload["text"]
        .startswith(f"Answer from the resident about {report.reference}:\n\nTuesday is fine.")
    )
    async with sessions() as session:
        thread = await feedback.thread_of(session, report.id)
    assert [(m.author, m.staff_id, m.body) for m in thread] == [
        ("staff", replier.id, "A plumber comes on Tuesday."),
        ("resident", None, "Tuesday is fine."),
    ]
    assert (await audit_actions(sessions)).count("feedback.replied") == 1

    # The replier leaves: the next answer goes to the report's staff instead.
    async with sessions.begin() as session:
        await staff_service.revoke_staff(session, replier.id, "cli")
        await feedback.add_resident_answer(session, resident, report.id, "Still here.", NOTICES)
    latest = (await deliveries(sessions, kind="notification"))[-1]
    assert latest.staff_id == other.id


async def test_a_forgotten_resident_cannot_be_contacted(sessions, neighbourhoods) -> None:  # type: ignore[no-untyped-def]
    staff = await make_staff(sessions, 761)
    resident = await make_resident(sessions, 861)
    report = await make_report(sessions, resident, complaint=True)
    async with sessions.begin() as session:
        fresh = await session.get(Resident, resident.id)
        assert fresh is not None
        await feedback.anonymise_reports_of(session, fresh.id)
        await forget_resident(session, fresh)
    async with sessions.begin() as session:
        with pytest.raises(InvalidInput, match="can no longer be contacted"):
            await feedback.report_for_reply(session, report.id)
        with pytest.raises(InvalidInput, match="can no longer be contacted"):
            await feedback.add_staff_reply(session, report.id, staff, "Hello?", NOTICES)
        outcome = await feedback.acknowledge(session, report.id, staff, NOTICES)
    assert outcome.changed and outcome.resident == "unreachable"
    assert await deliveries(sessions, kind="status_change") == []
    assert await deliveries(sessions, kind="staff_reply") == []


# ----- complaint deadlines ------------------------------------------------------------------------


async def _complaint_due(
    sessions,  # type: ignore[no-untyped-def]
    resident: Resident,
    ack_due: date,
    aware_at: datetime | None = MONDAY,
) -> Feedback:
    report = await make_report(sessions, resident, complaint=True, aware_at=aware_at)
    async with sessions.begin() as session:
        row = await session.get(Feedback, report.id)
        assert row is not None
        row.ack_due_on = ack_due
        return row


async def test_complaint_deadlines_are_warned_of_once_each(sessions, neighbourhoods) -> None:  # type: ignore[no-untyped-def]
    staff = await make_staff(sessions, 771)
    resident = await make_resident(sessions, 871)
    tuesday = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)
    report = await _complaint_due(sessions, resident, date(2026, 3, 4))  # due tomorrow
    relaxed = await _complaint_due(sessions, resident, date(2026, 3, 9))  # due next week

    async def run(now: datetime) -> int:
        async with sessions.begin() as session:
            return await feedback.notify_complaint_deadlines(session, NOTICES, now)

    assert await run(tuesday) == 1
    assert await run(tuesday + timedelta(minutes=15)) == 0
    warnings = [
        r
        for r in await deliveries(sessions, kind="notification")
        if "must be acknowledged by" in r.payload["text"]
    ]
    assert [(r.feedback_id, r.staff_id) for r in warnings] == [(report.id, staff.id)]
    assert (
        warnings[0]
        .payload["text"]
        .startswith(f"Complaint {report.reference} must be acknowledged by 4 Mar 2026 (stage 1).")
    )
    assert warnings[0].payload["buttons"][0][0]["data"] == f"0:stf:ack:{report.id}"

    # Past the date: one more warning, marked overdue; the other complaint is still not due.
    thursday = tuesday + timedelta(days=2)
    assert await run(thursday) == 1
    assert await run(thursday) == 0
    latest = (await deliveries(sessions, kind="notification"))[-1]
    assert latest.payload["text"].startswith(f"OVERDUE: complaint {report.reference}")

    # Acknowledged: no more acknowledgement warnings for it.
    async with sessions.begin() as session:
        await feedback.acknowledge(session, relaxed.id, staff, NOTICES, now=thursday)
    assert await run(datetime(2026, 3, 10, 9, 0, tzinfo=UTC)) == 0
    async with sessions() as session:
        kinds = sorted(
            (a.feedback_id, a.kind)
            for a in (await session.scalars(select(FeedbackDeadlineAlert))).all()
        )
    assert kinds == [
        (report.id, "stage1_acknowledge_overdue"),
        (report.id, "stage1_acknowledge_soon"),
    ]


async def test_replicas_running_the_deadline_job_together_warn_once(
    sessions, neighbourhoods, database_url
) -> None:  # type: ignore[no-untyped-def]
    await make_staff(sessions, 781)
    resident = await make_resident(sessions, 881)
    today = utcnow().astimezone(TZ).date()
    await _complaint_due(sessions, resident, today - timedelta(days=1), aware_at=None)
    settings = load_settings(
        database_url=database_url, quiet_hours_start=time(0), quiet_hours_end=time(0)
    )
    claimed = await asyncio.gather(
        *(warn_of_complaint_deadlines(sessions, settings) for _ in range(4))
    )
    assert sum(claimed) == 1
    overdue = [
        r
        for r in await deliveries(sessions, kind="notification")
        if r.payload["text"].startswith("OVERDUE")
    ]
    assert len(overdue) == 1


async def test_staff_replies_are_kept_with_their_messages(sessions, neighbourhoods) -> None:  # type: ignore[no-untyped-def]
    """A report's thread is in the resident's subject-access copy (the thread table)."""
    staff = await make_staff(sessions, 791)
    resident = await make_resident(sessions, 891)
    report = await make_report(sessions, resident)
    async with sessions.begin() as session:
        await feedback.add_staff_reply(session, report.id, staff, "On it.", NOTICES)
    async with sessions() as session:
        copy = await feedback.reports_for_subject_access(session, resident.id)
        count = len((await session.scalars(select(FeedbackMessage))).all())
    assert count == 1
    assert copy[0]["messages"][0]["from"] == "staff" and copy[0]["messages"][0]["text"] == "On it."


async def test_revoked_staff_get_no_held_notifications(sessions, neighbourhoods) -> None:  # type: ignore[no-untyped-def]
    leaver = await make_staff(sessions, 791)
    resident = await make_resident(sessions, 891)
    night = StaffNotices(tz=TZ, region=REGION, quiet_hours=QuietHours(time(21), time(8), TZ))
    await make_report(
        sessions, resident, aware_at=datetime(2026, 3, 2, 23, 0, tzinfo=UTC), notices=night
    )
    held = await deliveries(sessions, kind="notification", staff_id=leaver.id)
    assert [row.status for row in held] == ["queued"]
    async with sessions.begin() as session:
        await staff_service.revoke_staff(session, leaver.id, "cli")
    held = await deliveries(sessions, kind="notification", staff_id=leaver.id)
    assert [(row.status, row.error) for row in held] == [("skipped", "staff revoked")]


async def test_deadline_warnings_wait_until_someone_can_receive_them(
    sessions, neighbourhoods
) -> None:  # type: ignore[no-untyped-def]
    resident = await make_resident(sessions, 892)
    tuesday = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)
    await _complaint_due(sessions, resident, date(2026, 3, 4))

    async def run() -> int:
        async with sessions.begin() as session:
            return await feedback.notify_complaint_deadlines(session, NOTICES, tuesday)

    assert await run() == 0  # no staff yet: nothing claimed, nothing lost
    staff = await make_staff(sessions, 792)
    assert await run() == 1
    warning = (await deliveries(sessions, kind="notification"))[-1]
    assert warning.staff_id == staff.id


async def test_a_staff_group_chat_gets_no_buttons_but_a_way_to_act(
    sessions, neighbourhoods
) -> None:  # type: ignore[no-untyped-def]
    resident = await make_resident(sessions, 893)
    group = StaffNotices(tz=TZ, region=REGION, staff_chat_id=-100777)
    report = await make_report(sessions, resident, notices=group)
    (notice,) = await deliveries(sessions, kind="notification", chat_id=-100777)
    assert "buttons" not in notice.payload
    assert f"/view {report.reference}" in notice.payload["text"]
