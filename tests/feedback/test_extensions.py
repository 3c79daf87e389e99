"""Extending a complaint's response deadline on a real database (SQLite and PostgreSQL):
once per stage, for acknowledged open complaints only, and the deadline alerts follow."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest

from bot.errors import InvalidInput
from bot.feedback import clocks, deadlines, extensions, lifecycle
from bot.models import Feedback
from tests.feedback.factories import (
    MONDAY,
    NOTICES,
    REGION,
    TZ,
    Sessions,
    deliveries,
    make_report,
    make_resident,
    make_staff,
)


async def test_an_extension_moves_the_date_the_deadline_alerts_read(
    sessions: Sessions, neighbourhoods: None
) -> None:
    staff = await make_staff(sessions, 9301)
    resident = await make_resident(sessions, 9401)
    report = await make_report(sessions, resident, complaint=True, aware_at=MONDAY)
    async with sessions.begin() as session:
        await lifecycle.acknowledge(session, report.id, staff, NOTICES, now=MONDAY)
        row = await session.get(Feedback, report.id)
        assert row is not None and row.response_due_on is not None
        due = row.response_due_on
    day_before = datetime.combine(due - timedelta(days=1), datetime.min.time(), tzinfo=TZ)

    async with sessions.begin() as session:
        extension = await extensions.extend_deadline(
            session, report.id, staff, 10, "Waiting for a specialist", NOTICES, now=MONDAY
        )
    assert extension.due_after == clocks.add_working_days(due, 10, REGION)
    async with sessions.begin() as session:
        with pytest.raises(InvalidInput, match="already extended once"):
            await extensions.extend_deadline(
                session, report.id, staff, 1, "Again", NOTICES, now=MONDAY
            )
        # The old date is no longer due: no warning for it the day before.
        assert await deadlines.notify_deadlines(session, NOTICES, day_before) == 0
    after = datetime.combine(
        extension.due_after - timedelta(days=1), datetime.min.time(), tzinfo=TZ
    ).replace(hour=10)
    async with sessions.begin() as session:
        assert await deadlines.notify_deadlines(session, NOTICES, after) == 1
    warning = (await deliveries(sessions, kind="notification"))[-1]
    assert "must be answered by" in warning.payload["text"]
    (told,) = await deliveries(sessions, kind="extension")
    assert "Waiting for a specialist" in told.payload["text"]
    assert extensions.HOUSING_OMBUDSMAN.phone in told.payload["text"]


async def test_extensions_are_for_open_acknowledged_complaints_only(
    sessions: Sessions, neighbourhoods: None
) -> None:
    staff = await make_staff(sessions, 9501)
    resident = await make_resident(sessions, 9601)
    plain = await make_report(sessions, resident, aware_at=MONDAY)
    complaint = await make_report(sessions, resident, complaint=True, aware_at=MONDAY)
    async with sessions.begin() as session:
        with pytest.raises(InvalidInput, match="not a complaint"):
            await extensions.extend_deadline(session, plain.id, staff, 3, "Why", NOTICES)
    async with sessions.begin() as session:
        await lifecycle.change_status(session, complaint.id, "resolved", staff, NOTICES)
    async with sessions.begin() as session:
        with pytest.raises(InvalidInput, match="has been answered"):
            await extensions.extend_deadline(session, complaint.id, staff, 3, "Why", NOTICES)
    for raw in ("", "0", "61", "x", "٣"):
        with pytest.raises(InvalidInput):
            extensions.parse_working_days(raw)
    assert extensions.parse_working_days(" 60 ") == 60
    assert extensions.checked_good_reason(20, 2, None) is None
    assert extensions.checked_good_reason(11, 1, " A contractor's report ") == (
        "A contractor's report"
    )
    for missing in (None, "", "   "):
        with pytest.raises(InvalidInput, match="good reason"):
            extensions.checked_good_reason(21, 2, missing)


async def test_two_extensions_at_once_make_one(sessions: Sessions, neighbourhoods: None) -> None:
    staff = await make_staff(sessions, 9901)
    resident = await make_resident(sessions, 9902)
    report = await make_report(sessions, resident, complaint=True, aware_at=MONDAY)
    async with sessions.begin() as session:
        await lifecycle.acknowledge(session, report.id, staff, NOTICES, now=MONDAY)

    async def extend(days: int) -> str:
        try:
            async with sessions.begin() as session:
                await extensions.extend_deadline(
                    session, report.id, staff, days, "Why", NOTICES, now=MONDAY
                )
        except InvalidInput as exc:
            return exc.message_id
        return "extended"

    outcomes = await asyncio.gather(*(extend(days) for days in (3, 4, 5)))
    already = "{reference} was already extended once at stage {stage}; the Code allows one."
    assert sorted(outcomes) == ["extended", already, already]
    assert len(await deliveries(sessions, kind="extension")) == 1
