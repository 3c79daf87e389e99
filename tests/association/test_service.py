"""The association's settings on a real database: checks, overrides, audit, and readers."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.association.service import effective_settings, save_settings, setting_values
from bot.config import ConfigError, Settings, load_settings
from bot.errors import InvalidInput
from bot.feedback.notify import StaffNotices
from bot.feedback.thread import add_staff_reply
from bot.models import AssociationSettings, AuditEntry, Delivery, Feedback, Resident, StaffMember

Sessions = async_sessionmaker[AsyncSession]
FORM = {
    "association_name": "Riverside Homes",
    "emergency_contacts": "Emergency repairs: 0800 000 111\nGas: 0800 111 999",
    "quiet_hours_start": "21:00",
    "quiet_hours_end": "08:00",
    "bank_holiday_region": "england-and-wales",
    "retention_months": "24",
    "complaint_retention_months": "72",
    "resolved_close_days": "14",
    "homes": "12,500",
}


def settings_for(database_url: str) -> Settings:
    return load_settings(database_url=database_url, association_name="Env Homes")


async def test_the_environment_is_the_default_and_saved_values_override_it(
    sessions: Sessions, database_url: str
) -> None:
    settings = settings_for(database_url)
    async with sessions() as db:
        assert await effective_settings(db, settings) is settings
    async with sessions.begin() as db:
        changed = await save_settings(db, settings, FORM, actor="web:priya")
    assert set(changed) == {"association_name", "emergency_contacts", "homes"}
    async with sessions() as db:
        now = await effective_settings(db, settings)
        values = {v.name: v for v in await setting_values(db, settings)}
        row = await db.get(AssociationSettings, 1)
        audit = (await db.scalars(select(AuditEntry))).all()
    assert now.association_name == "Riverside Homes" and now.homes == 12500
    assert now.emergency_contacts.endswith("Gas: 0800 111 999")
    assert now.quiet_hours_start == time(21, 0) and now.tz == settings.tz
    # Values equal to the environment's are "as configured" (null), not copied.
    assert row is not None and row.quiet_hours_start is None and row.retention_months is None
    assert row.updated_by == "web:priya"
    assert values["association_name"].changed and values["association_name"].default == "Env Homes"
    assert not values["quiet_hours_end"].changed
    assert [(a.actor, a.action, a.subject_type) for a in audit] == [
        ("web:priya", "settings.changed", "association")
    ]
    assert audit[0].details["before"] == {
        "association_name": "Env Homes",
        "emergency_contacts": settings.emergency_contacts,
        "homes": None,
    }
    assert audit[0].details["after"]["homes"] == 12500

    # Saving the same again changes nothing and writes no audit line.
    async with sessions.begin() as db:
        assert await save_settings(db, settings, FORM, actor="web:priya") == []
        assert len((await db.scalars(select(AuditEntry))).all()) == 1
    # Back to the configured value: the override goes.
    async with sessions.begin() as db:
        await save_settings(db, settings, {**FORM, "association_name": "Env Homes"}, actor="x")
    async with sessions() as db:
        assert (await effective_settings(db, settings)).association_name == "Env Homes"
        row = await db.get(AssociationSettings, 1)
        assert row is not None and row.association_name is None


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"association_name": ""}, "Association name: That message was empty"),
        ({"association_name": " \u200b "}, "Association name: That message was empty"),
        ({"association_name": "x" * 121}, "Association name: That is too long"),
        ({"association_name": "Two\nlines"}, "Association name: Please keep this to one line"),
        ({"emergency_contacts": "x" * 1001}, "Emergency contacts: That is too long"),
        ({"emergency_contacts": "nul\x00here"}, "Emergency contacts: That message has characters"),
        ({"quiet_hours_start": "25:00"}, "Quiet hours start: type a time"),
        ({"quiet_hours_end": "eight"}, "Quiet hours end: type a time"),
        ({"quiet_hours_start": "08:00", "quiet_hours_end": "8.00"}, "the same time"),
        ({"bank_holiday_region": "wales"}, "Bank holidays: choose one"),
        ({"retention_months": "0"}, "Retention of closed records: type a whole number"),
        ({"retention_months": "-3"}, "Retention of closed records: type a whole number"),
        ({"retention_months": "١٢"}, "Retention of closed records: type a whole number"),
        ({"complaint_retention_months": "12"}, "keep complaints at least as long"),
        ({"resolved_close_days": "0"}, "Resolved reports close after: type a whole number"),
        ({"resolved_close_days": "91"}, "Resolved reports close after: type a whole number"),
        ({"resolved_close_days": ""}, "Resolved reports close after: type a whole number"),
        ({"homes": "lots"}, "Number of homes: type a whole number"),
        ({"homes": "99999999999"}, "Number of homes: type a whole number"),
    ],
)
async def test_bad_settings_are_refused_with_a_plain_reason_and_nothing_is_saved(
    sessions: Sessions, database_url: str, change: dict[str, str], words: str
) -> None:
    settings = settings_for(database_url)
    with pytest.raises(InvalidInput) as refused:
        async with sessions.begin() as db:
            await save_settings(db, settings, {**FORM, **change}, actor="web:priya")
    assert words in refused.value.message_id.format(**refused.value.params)
    async with sessions() as db:
        assert await db.get(AssociationSettings, 1) is None
        assert (await db.scalars(select(AuditEntry))).all() == []


async def test_odd_unicode_in_the_name_and_contacts_is_kept_exactly(
    sessions: Sessions, database_url: str
) -> None:
    settings = settings_for(database_url)
    name = "Cartrefi Cymru \u2014 T\u0177 Newydd \U0001f3e0 \u202eRTL"
    async with sessions.begin() as db:
        await save_settings(db, settings, {**FORM, "association_name": name}, actor="t")
    async with sessions() as db:
        assert (await effective_settings(db, settings)).association_name == name


async def test_changed_quiet_hours_change_when_a_reply_to_a_resident_is_held(
    sessions: Sessions, database_url: str
) -> None:
    """The dashboard's quiet hours reach the outbox: a reply at 22:30 waits, or not."""
    settings = settings_for(database_url)
    async with sessions.begin() as db:
        resident = Resident(telegram_user_id=501, chat_id=501, language="en", active=True)
        staff = StaffMember(telegram_user_id=601, chat_id=601, name="Val", role="staff")
        db.add_all([resident, staff])
        await db.flush()
        report = Feedback(
            reference="FB-2026-00001",
            category="repairs",
            description="Tap",
            resident_id=resident.id,
        )
        db.add(report)
        await db.flush()
        report_id, staff_id = report.id, staff.id
    late = datetime(2026, 12, 2, 22, 30, tzinfo=UTC)  # 22:30 in London (GMT in December)

    async def reply_held_until() -> datetime:
        async with sessions.begin() as db:
            notices = StaffNotices.from_settings(await effective_settings(db, settings))
            member = await db.get(StaffMember, staff_id)
            assert member is not None
            await add_staff_reply(db, report_id, member, "On our way", notices, now=late)
            delivery = await db.scalar(select(Delivery).order_by(Delivery.id.desc()).limit(1))
            assert delivery is not None and delivery.kind == "staff_reply"
            assert isinstance(delivery.not_before, datetime)
            return delivery.not_before

    # Configured quiet hours 21:00-08:00: held until 08:00 the next morning.
    assert await reply_held_until() == datetime(2026, 12, 3, 8, 0, tzinfo=UTC)
    async with sessions.begin() as db:
        await save_settings(
            db,
            settings,
            {**FORM, "quiet_hours_start": "23:00", "quiet_hours_end": "06:30"},
            actor="web:priya",
        )
    # Quiet from 23:00 now: 22:30 is not quiet, the reply goes at once.
    assert await reply_held_until() == late
    async with sessions.begin() as db:
        await save_settings(
            db,
            settings,
            {**FORM, "quiet_hours_start": "22:00", "quiet_hours_end": "07:15"},
            actor="web:priya",
        )
    assert await reply_held_until() == datetime(2026, 12, 3, 7, 15, tzinfo=UTC)


def test_the_environment_too_must_keep_complaints_at_least_as_long() -> None:
    with pytest.raises(ConfigError, match="COMPLAINT_RETENTION_MONTHS: must be at least"):
        load_settings(retention_months=36, complaint_retention_months=24)
    with pytest.raises(ConfigError, match="HOMES"):
        load_settings(homes=0)
    assert load_settings(homes="").homes is None


def test_the_environments_quiet_period_before_resolved_reports_close_is_checked() -> None:
    for days in (0, 91):
        with pytest.raises(ConfigError, match="RESOLVED_CLOSE_DAYS"):
            load_settings(resolved_close_days=days)
    assert load_settings(resolved_close_days="90").resolved_close_days == 90
    assert load_settings().resolved_close_days == 14
