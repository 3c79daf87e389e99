"""The social impact and compliance report: a period's figures, small numbers suppressed.

The period is a pair of London calendar dates, both included: it runs from the local
midnight that begins ``start`` to the local midnight that ends ``end`` (so a report at
23:30 UTC on a summer evening belongs to the next day, as the resident saw it).

What each figure counts is written beside the code that counts it (the page and the CSV
say the same), one module of ``bot.reports`` per part of the report:

- ``resident_figures``: residents by neighbourhood, new, registered and active;
- ``feedback_figures``: reports by category, outcome and neighbourhood, and the hours to
  acknowledge and to resolve them (median and 90th percentile: ``timing``);
- ``complaints``: the Complaint Handling Code's CH01 and CH02, per stage;
- ``awaabs_law``: hazard reports made safe or investigated in time;
- ``event_figures``: events held, attendance and residents' ratings (the only ratings the
  system holds; feedback has no satisfaction question);
- ``announcement_figures``: announcements, messages sent and residents reached.

Suppression (so nobody can be identified; ``suppression``): every figure that counts
residents, or things residents did (reports, complaints, places, ratings), and is 1 to 4
shows as "fewer than 5", and more cells (or a total) are hidden until no hidden figure can
be worked out from the shown ones: within a breakdown and its total, and across the
breakdowns that share one (feedback by category, by outcome and by neighbourhood; CH02's
answered, in time and late). A share, rate, average or time is not a count: over no cases
it says "none", and over fewer than 5 cases, or when it would give a hidden count back
(CH01 with the number of homes, CH02's share, the average rating), it is withheld ("not
shown: fewer than 5 cases").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import Feedback
from bot.reports.announcement_figures import announcement_figures
from bot.reports.awaabs_law import HazardFigures, hazard_figures
from bot.reports.complaints import SET_HOMES, StageFigures, complaint_stages
from bot.reports.event_figures import event_figures
from bot.reports.feedback_figures import feedback_figures
from bot.reports.period import Period
from bot.reports.resident_figures import (
    NeighbourhoodResidents,
    neighbourhood_names,
    resident_figures,
)
from bot.reports.suppression import Breakdown, Shown
from bot.reports.timing import Spread


@dataclass(frozen=True)
class ImpactReport:
    """Every figure of the report, already suppressed (see the module's note)."""

    period: Period
    homes: int | None
    residents: NeighbourhoodResidents
    feedback_total: Shown
    by_category: Breakdown
    by_outcome: Breakdown
    by_neighbourhood: Breakdown
    to_acknowledge: Spread
    to_resolve: Spread
    stages: list[StageFigures]
    hazards: list[HazardFigures]
    ratings: Breakdown
    rating_average: Shown
    events_held: int
    attendance: Shown
    attendance_people: Shown
    repeat_attendees: Shown
    broadcasts: int
    messages_sent: Shown
    reach: Shown


async def impact_report(
    session: AsyncSession,
    period: Period,
    *,
    homes: int | None,
    tz: ZoneInfo,
    region: str,
    now: datetime,
) -> ImpactReport:
    """Every figure of the report for ``period`` (``homes``: None when not set)."""
    begin, finish = period.bounds(tz)
    names = await neighbourhood_names(session)
    received = [Feedback.received_at >= begin, Feedback.received_at < finish]
    feedback = await feedback_figures(session, received, names)
    events = await event_figures(session, begin, finish)
    announcements = await announcement_figures(session, begin, finish)
    return ImpactReport(
        period=period,
        homes=homes,
        residents=await resident_figures(session, begin, finish, names),
        feedback_total=feedback.total,
        by_category=feedback.by_category,
        by_outcome=feedback.by_outcome,
        by_neighbourhood=feedback.by_neighbourhood,
        to_acknowledge=feedback.to_acknowledge,
        to_resolve=feedback.to_resolve,
        stages=await complaint_stages(session, begin, finish, homes, tz, region),
        hazards=await hazard_figures(session, received, tz, now),
        ratings=events.ratings,
        rating_average=events.rating_average,
        events_held=events.events_held,
        attendance=events.attendance,
        attendance_people=events.attendance_people,
        repeat_attendees=events.repeat_attendees,
        broadcasts=announcements.broadcasts,
        messages_sent=announcements.messages_sent,
        reach=announcements.reach,
    )


def _breakdown_rows(section: str, breakdown: Breakdown) -> list[tuple[str, str, Shown]]:
    return [(section, label, value) for label, value in breakdown.rows] + [
        (section, "Total", breakdown.total)
    ]


def figure_rows(report: ImpactReport) -> list[tuple[str, str, Shown]]:
    """Every figure of the report as (section, item, figure): the CSV's rows, in page order."""
    rows: list[tuple[str, str, Shown]] = [
        ("Period", "From", report.period.start.isoformat()),
        ("Period", "To", report.period.end.isoformat()),
        ("Period", "Homes", report.homes if report.homes is not None else SET_HOMES),
    ]
    rows += _breakdown_rows("New residents by neighbourhood", report.residents.new)
    rows += _breakdown_rows("Registered residents by neighbourhood", report.residents.registered)
    rows += _breakdown_rows("Active residents by neighbourhood", report.residents.active)
    rows += _breakdown_rows("Feedback by category", report.by_category)
    rows += _breakdown_rows("Feedback by outcome", report.by_outcome)
    rows += _breakdown_rows("Feedback by neighbourhood", report.by_neighbourhood)
    for name, spread in (
        ("Hours to acknowledge", report.to_acknowledge),
        ("Hours to resolve or close", report.to_resolve),
    ):
        rows += [
            (name, "Reports", spread.count_shown),
            (name, "Median", spread.median_shown),
            (name, "90th percentile", spread.p90_shown),
        ]
    for stage in report.stages:
        section = f"Complaints stage {stage.stage}"
        rows += [
            (section, "CH01 received", stage.received),
            (section, "CH01 per 1,000 homes", stage.per_thousand_homes),
            (section, "Answered", stage.answered),
            (section, "Answered in time", stage.answered_in_time),
            (section, "Answered late", stage.answered_late),
            (section, "CH02 % answered in time", stage.share_in_time),
            *((section, f"Not counted: {label}", count) for label, count in stage.not_counted),
            (section, "Extensions agreed", stage.extended),
            (
                section,
                "Extensions longer than standard (good reason)",
                stage.extended_beyond_standard,
            ),
        ]
    for hazard in report.hazards:
        rows += _breakdown_rows(f"Awaab's Law: {hazard.label}", hazard.outcomes)
    rows += _breakdown_rows("Event ratings", report.ratings)
    rows += [
        ("Event ratings", "Average (1-5)", report.rating_average),
        ("Events", "Held", report.events_held),
        ("Events", "Places attended", report.attendance),
        ("Events", "People attending (with parties)", report.attendance_people),
        ("Events", "Repeat attendees", report.repeat_attendees),
        ("Announcements", "Broadcasts", report.broadcasts),
        ("Announcements", "Messages sent", report.messages_sent),
        ("Announcements", "Residents reached", report.reach),
    ]
    return rows
