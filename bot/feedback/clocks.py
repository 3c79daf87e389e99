"""Working-day clocks for the Complaint Handling Code and Awaab's Law."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import holidays

# The Housing Ombudsman's Complaint Handling Code (2024; docs/regulation-complaints-and-
# hazards.md): acknowledge within 5 working days of receipt (6.2) or of the escalation
# request (6.11); answer within 10 working days of the acknowledgement at stage 1 (6.3),
# 20 at stage 2 (the Ombudsman's own summary; the paragraph is not yet verified).
ACKNOWLEDGE_WITHIN = {1: 5, 2: 5}
RESPOND_WITHIN = {1: 10, 2: 20}
# Awaab's Law (the Hazards in Social Housing (Prescribed Requirements) (England)
# Regulations 2025, SI 2025/1042; docs/regulation-complaints-and-hazards.md, section 3,
# whose numbers come from sources that agree with each other and the government's draft
# guidance, the regulations' own text not yet checked): an emergency hazard investigated
# and made safe within 24 hours of the landlord becoming aware (reg 5, the stricter of the
# two readings); a significant (damp and mould) hazard investigated within 10 working
# days of awareness (reg 6). Once the investigation concludes: the written summary to the
# tenant within 3 working days (reg 9), a significant hazard's relevant safety work done
# within 5 working days (reg 11(2)(a): done, not begun), supplementary preventive works
# physically started within 12 weeks (counted here from the investigation's end: the
# sources do not say from what).
EMERGENCY_MAKE_SAFE = timedelta(hours=24)
DAMP_INVESTIGATE_WITHIN = 10
SUMMARY_WITHIN = 3
SAFETY_WORK_WITHIN = 5
PREVENTIVE_WORKS_START_WITHIN = timedelta(weeks=12)

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
    """The Code's due dates for a stage received (or asked for) at ``received_at``."""
    received_day = received_at.astimezone(tz).date()
    acknowledge_by = add_working_days(received_day, ACKNOWLEDGE_WITHIN[stage], region)
    respond_by = response_due(acknowledge_by, acknowledged_at, tz, region, stage=stage)
    return ComplaintDueDates(acknowledge_by=acknowledge_by, respond_by=respond_by)


def response_due(
    acknowledge_by: date, acknowledged_at: datetime | None, tz: ZoneInfo, region: str, stage: int
) -> date:
    """When the stage's full answer is due: ``RESPOND_WITHIN`` working days after the
    acknowledgement (Code 6.3), or after the day it was due when it came later or never.

    The Code counts from the acknowledgement itself; read literally, a complaint
    acknowledged four weeks late could then be answered six weeks late and count as in
    time (CH02). Issue 12 asks for the stricter date, so a late acknowledgement (or an
    answer with none) never buys time; docs/regulation-complaints-and-hazards.md, section 5.
    """
    ack_day = acknowledge_by
    if acknowledged_at is not None:
        ack_day = min(acknowledged_at.astimezone(tz).date(), acknowledge_by)
    return add_working_days(ack_day, RESPOND_WITHIN[stage], region)


def make_safe_due(aware_at: datetime) -> datetime:
    """Awaab's Law: an emergency hazard must be made safe within 24 hours of awareness."""
    return aware_at + EMERGENCY_MAKE_SAFE


def damp_investigation_due(aware_at: datetime, tz: ZoneInfo, region: str) -> date:
    """Awaab's Law: significant damp and mould investigated within 10 working days."""
    return add_working_days(aware_at.astimezone(tz).date(), DAMP_INVESTIGATE_WITHIN, region)


@dataclass(frozen=True)
class AfterInvestigation:
    """Awaab's Law dates that the end of an investigation starts (last permitted day)."""

    summary_by: date
    safety_work_by: date | None  # a significant hazard's; an emergency's is 24 hours
    preventive_works_by: date


def after_investigation(
    investigated_at: datetime, hazard_kind: str, tz: ZoneInfo, region: str
) -> AfterInvestigation:
    """The summary, safety work and preventive works dates from the investigation's end."""
    day = investigated_at.astimezone(tz).date()
    return AfterInvestigation(
        summary_by=add_working_days(day, SUMMARY_WITHIN, region),
        safety_work_by=(
            add_working_days(day, SAFETY_WORK_WITHIN, region)
            if hazard_kind == "damp_mould"
            else None
        ),
        preventive_works_by=day + PREVENTIVE_WORKS_START_WITHIN,
    )


def awaabs_law_applies(region: str, in_england: bool | None) -> bool:
    """Whether Awaab's Law clocks run for a home: it applies in England only (docs/
    regulation-complaints-and-hazards.md, section 3). ``in_england`` is the home's
    neighbourhood's setting, None when the report names no neighbourhood: then the
    association's region decides (England and Wales: the clocks run, the safer error)."""
    if region != "england-and-wales":
        return False
    return in_england is not False
