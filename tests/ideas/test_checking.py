"""Staff checking an idea (SQLite and PostgreSQL): approved (the proposer told, audited),
declined with a reason (the proposer told the reason), never twice, and a reason needed."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.errors import DomainError, InvalidInput
from bot.ideas import checking
from bot.models import AuditEntry, Delivery
from bot.models.idea import APPROVED, DECLINED
from tests.ideas.factories import NOW, SETTINGS, STAFF, add_residents, idea_row, propose, told
from tests.support.broadcasts import Places
from tests.support.events import Sessions


async def test_approve_and_decline_tell_the_proposer(sessions: Sessions, places: Places) -> None:
    ann, bob = await add_residents(sessions, 2, area=places.riverside)
    good = await propose(sessions, ann, title="A community garden")
    bad = await propose(sessions, bob, title="Knock down the flats")
    async with sessions.begin() as session:
        await checking.approve(session, good, actor=STAFF, settings=SETTINGS, now=NOW)
        with pytest.raises(InvalidInput, match="Type the reason"):
            await checking.decline(session, bad, "  ", actor=STAFF, settings=SETTINGS, now=NOW)
        await checking.decline(
            session, bad, "It is not ours to decide.", actor=STAFF, settings=SETTINGS, now=NOW
        )
    assert (await idea_row(sessions, good)).status == APPROVED
    declined = await idea_row(sessions, bad)
    assert declined.status == DECLINED and declined.decline_reason == "It is not ours to decide."
    messages = await told(sessions)
    assert messages[0][0] == ann and "A community garden" in messages[0][1]
    assert "now shown to your neighbours" in messages[0][1]
    assert messages[1][0] == bob and "because: It is not ours to decide." in messages[1][1]
    async with sessions() as session:
        rows = list(await session.scalars(select(Delivery).where(Delivery.kind == "idea")))
        actions = list(await session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
    assert all(not row.urgent and row.priority == 2 for row in rows)
    assert actions == ["idea.approved", "idea.declined"]
    # Checked once only.
    async with sessions.begin() as session:
        with pytest.raises(DomainError, match="checked already"):
            await checking.approve(session, bad, actor=STAFF, settings=SETTINGS, now=NOW)
