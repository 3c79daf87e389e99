"""The report's period: two London calendar dates, both included."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.i18n import N_

PERIOD_MAX_DAYS = 3660


class BadPeriod(ValueError):
    """A period that cannot be used; the message is a msgid (plain English) the dashboard
    shows in the reader's language."""


@dataclass(frozen=True)
class Period:
    """London calendar dates, both included."""

    start: date
    end: date

    def bounds(self, tz: ZoneInfo) -> tuple[datetime, datetime]:
        """The instants the period begins and ends (end excluded)."""
        begin = datetime.combine(self.start, time.min, tzinfo=tz)
        finish = datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=tz)
        return begin, finish


def last_full_quarter(today: date) -> Period:
    """The calendar quarter before the one ``today`` is in."""
    first_month = 3 * ((today.month - 1) // 3) + 1
    this_quarter = date(today.year, first_month, 1)
    end = this_quarter - timedelta(days=1)
    return Period(date(end.year, end.month - 2, 1), end)


def parse_period(start: str | None, end: str | None, today: date) -> Period:
    """The period from a form's two ISO dates (either missing: the last full quarter)."""
    if not start and not end:
        return last_full_quarter(today)
    if not start or not end:
        raise BadPeriod(N_("Give both dates of the period, or neither."))
    try:
        period = Period(date.fromisoformat(start.strip()), date.fromisoformat(end.strip()))
    except ValueError:
        raise BadPeriod(N_("Dates are written like 2026-04-01.")) from None
    if period.end < period.start:
        raise BadPeriod(N_("The period ends before it starts."))
    if (period.end - period.start).days > PERIOD_MAX_DAYS:
        raise BadPeriod(N_("The period can be ten years at most."))
    return period
