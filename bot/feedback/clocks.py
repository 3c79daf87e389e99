"""Working-day clocks for the Complaint Handling Code and Awaab's Law."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import holidays

# The Housing Ombudsman's Complaint Handling Code, stage 1 and stage 2.
ACKNOWLEDGE_WITHIN = {1: 5, 2: 5}
RESPOND_WITHIN = {1: 10, 2: 20}
# Awaab's Law: emergency hazards made safe within 24 hours; significant damp and
# mould investigated within 10 working days of the landlord becoming aware.
EMERGENCY_MAKE_SAFE = timedelta(hours=24)
DAMP_INVESTIGATE_WITHIN = 10

_SUBDIVISIONS = {"england-and-wales": "ENG", "scotland": "SCT", "northern-ireland": "NIR"}


@cache
def _bank_holidays(region: str, year: int) -> frozenset[date]:
    calendar = holidays.country_holidays("GB", subdiv=_SUBDIVISIONS[region], years=year)
    return frozenset(calendar.keys())


def is_working_day(day: date, region: str) -> bool:
    """Monday to Friday and not a bank holiday in the region."""
    return day.weekday() < 5 and day not in _bank_holidays(region, day.year)


def add_working_days(start: date, days: int, region: str) -> date:
    """The date ``days`` working days after ``start`` (the start day itself not counted)."""
    current = start
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        if is_working_day(current, region):
            remaining -= 1
    return current


@dataclass(frozen=True)
class ComplaintDueDates:
    """When a complaint must be acknowledged and answered (last permitted day)."""

    acknowledge_by: date
    respond_by: date


def complaint_due_dates(
    received_at: datetime,
    tz: ZoneInfo,
    region: str,
    stage: int = 1,
    acknowledged_at: datetime | None = None,
) -> ComplaintDueDates:
    """The Code's due dates; until acknowledged, the response clock runs from the ack deadline."""
    received_day = received_at.astimezone(tz).date()
    acknowledge_by = add_working_days(received_day, ACKNOWLEDGE_WITHIN[stage], region)
    ack_day = acknowledged_at.astimezone(tz).date() if acknowledged_at else acknowledge_by
    respond_by = add_working_days(ack_day, RESPOND_WITHIN[stage], region)
    return ComplaintDueDates(acknowledge_by=acknowledge_by, respond_by=respond_by)


def make_safe_due(aware_at: datetime) -> datetime:
    """Awaab's Law: an emergency hazard must be made safe within 24 hours of awareness."""
    return aware_at + EMERGENCY_MAKE_SAFE


def damp_investigation_due(aware_at: datetime, tz: ZoneInfo, region: str) -> date:
    """Awaab's Law: significant damp and mould investigated within 10 working days."""
    return add_working_days(aware_at.astimezone(tz).date(), DAMP_INVESTIGATE_WITHIN, region)
