"""Staff, residents and reports made through the services, for feedback's (and staff's)
tests on a real database; and readers of what they wrote."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.feedback.draft import ReportDraft
from bot.feedback.notify import StaffNotices
from bot.feedback.reports import submit_report
from bot.models import AuditEntry, Delivery, Feedback, Neighbourhood, Resident, StaffMember
from bot.residents import service as residents
from bot.staff import service as staff_service
from tests.support.web import Web

Sessions = async_sessionmaker[AsyncSession]

TZ = ZoneInfo("Europe/London")
REGION = "england-and-wales"
NOTICES = StaffNotices(tz=TZ, region=REGION)
# A Monday morning in March 2026: no bank holidays for weeks either side.
MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


async def make_staff(
    sessions: Sessions, telegram_user_id: int, role: str = "staff", name: str = "Sam"
) -> StaffMember:
    """A staff member who joined with an invite, as in Telegram."""
    async with sessions.begin() as session:
        issued = await staff_service.create_invite(session, role, name, 7)
        return await staff_service.redeem_invite(
            session, issued.code, telegram_user_id, telegram_user_id, "Telegram Name"
        )


async def make_resident(
    sessions: Sessions,
    telegram_user_id: int,
    area: str | None = "riverside",
    language: str = "en",
) -> Resident:
    """A resident called Ann, set up in ``area`` (a neighbourhood code)."""
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
    sessions: Sessions,
    resident: Resident,
    *,
    category: str = "repairs",
    complaint: bool = False,
    urgent: bool = False,
    share_name: bool = True,
    aware_at: datetime | None = None,
    notices: StaffNotices = NOTICES,
) -> Feedback:
    """A report the resident sent (staff are notified as usual)."""
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


async def complaint_due(
    sessions: Sessions,
    resident: Resident,
    ack_due: date,
    aware_at: datetime | None = MONDAY,
) -> Feedback:
    """A complaint whose acknowledgement is due on ``ack_due``."""
    report = await make_report(sessions, resident, complaint=True, aware_at=aware_at)
    async with sessions.begin() as session:
        row = await session.get(Feedback, report.id)
        assert row is not None
        row.ack_due_on = ack_due
        return row


async def deliveries(sessions: Sessions, **where: object) -> list[Delivery]:
    """The outbox's rows matching ``where`` (column=value), oldest first."""
    async with sessions() as session:
        query = select(Delivery).order_by(Delivery.id)
        for column, value in where.items():
            query = query.where(getattr(Delivery, column) == value)
        return list((await session.scalars(query)).all())


async def audit_actions(sessions: Sessions) -> list[str]:
    """The audit log's actions, oldest first."""
    async with sessions() as session:
        return list(await session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def sessions_of(web: Web) -> Sessions:
    """The dashboard's session factory, typed (``Web`` keeps it as a plain object)."""
    assert isinstance(web.sessions, async_sessionmaker)
    return web.sessions
