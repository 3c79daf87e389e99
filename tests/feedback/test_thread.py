"""A report's thread on a real database (SQLite and PostgreSQL): staff replies reach the
resident, their answers reach the replier, and a forgotten resident can't be reached."""

from __future__ import annotations

import pytest

from bot.delivery.outbox import Priority
from bot.errors import InvalidInput, StaleAction
from bot.feedback import lifecycle, privacy, thread
from bot.models import Resident
from bot.residents.privacy import forget_resident
from bot.staff import service as staff_service
from tests.feedback.factories import (
    NOTICES,
    Sessions,
    audit_actions,
    deliveries,
    make_report,
    make_resident,
    make_staff,
)


async def test_a_reply_reaches_the_resident_and_their_answer_reaches_the_replier(
    sessions: Sessions, neighbourhoods: None
) -> None:
    replier = await make_staff(sessions, 751, name="Replier")
    other = await make_staff(sessions, 752, name="Other")
    resident = await make_resident(sessions, 851)
    stranger = await make_resident(sessions, 852)
    report = await make_report(sessions, resident)
    async with sessions.begin() as session:
        for bad in ("", "\u200b", "x" * (thread.REPLY_MAX_LENGTH + 1), None):
            with pytest.raises(InvalidInput):
                await thread.add_staff_reply(session, report.id, replier, bad, NOTICES)
        outcome = await thread.add_staff_reply(
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
            await thread.add_resident_answer(session, stranger, report.id, "Mine!", NOTICES)
        await thread.add_resident_answer(session, resident, report.id, "Tuesday is fine.", NOTICES)
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
        messages = await thread.thread_of(session, report.id)
    assert [(m.author, m.staff_id, m.body) for m in messages] == [
        ("staff", replier.id, "A plumber comes on Tuesday."),
        ("resident", None, "Tuesday is fine."),
    ]
    assert (await audit_actions(sessions)).count("feedback.replied") == 1

    # The replier leaves: the next answer goes to the report's staff instead.
    async with sessions.begin() as session:
        await staff_service.revoke_staff(session, replier.id, "cli")
        await thread.add_resident_answer(session, resident, report.id, "Still here.", NOTICES)
    latest = (await deliveries(sessions, kind="notification"))[-1]
    assert latest.staff_id == other.id


async def test_a_forgotten_resident_cannot_be_contacted(
    sessions: Sessions, neighbourhoods: None
) -> None:
    staff = await make_staff(sessions, 761)
    resident = await make_resident(sessions, 861)
    report = await make_report(sessions, resident, complaint=True)
    async with sessions.begin() as session:
        fresh = await session.get(Resident, resident.id)
        assert fresh is not None
        await privacy.anonymise_reports_of(session, fresh.id)
        await forget_resident(session, fresh)
    async with sessions.begin() as session:
        with pytest.raises(InvalidInput, match="can no longer be contacted"):
            await thread.report_for_reply(session, report.id)
        with pytest.raises(InvalidInput, match="can no longer be contacted"):
            await thread.add_staff_reply(session, report.id, staff, "Hello?", NOTICES)
        outcome = await lifecycle.acknowledge(session, report.id, staff, NOTICES)
    assert outcome.changed and outcome.resident == "unreachable"
    assert await deliveries(sessions, kind="status_change") == []
    assert await deliveries(sessions, kind="staff_reply") == []
