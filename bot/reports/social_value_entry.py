"""An admin entering a social value (``bot.models.social_value``): checked, audited, and
never changing an older one (history kept: the older value still prices earlier periods).

The refusals say what to change, so the dashboard can show the form again with everything
typed kept.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.audit import record_action
from bot.chest.money import parse_pounds
from bot.errors import InvalidInput
from bot.models.social_value import NOTES_MAX, SOURCE_KINDS, SOURCE_MAX, SocialValue
from bot.reports.participation import ACTIVITIES
from bot.reports.social_value import UNIT_WORDS, pounds
from bot.text import require_text

MOST_PENCE = 10_000_000  # £100,000 a resident or an hour: more is a typing mistake


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput("Dates are written like 2026-04-01.") from None


async def add_value(
    session: AsyncSession,
    *,
    activity: str,
    amount: str,
    unit: str,
    source_kind: str,
    source: str,
    notes: str,
    valid_from: str,
    additive: bool,
    actor: str,
    now: datetime,
) -> SocialValue:
    """A new value, checked (InvalidInput says what to change) and audited; the older value
    for the activity stays for the periods before ``valid_from``."""
    found = ACTIVITIES.get(activity)
    if found is None:
        raise InvalidInput("Please choose an activity from the list.")
    if unit not in found.units:
        raise InvalidInput("Only volunteering can be valued per hour: choose per resident.")
    pence = parse_pounds(amount, most=MOST_PENCE)
    if source_kind not in SOURCE_KINDS:
        raise InvalidInput("Please say where the value comes from: your own, or a value bank.")
    if not source.strip():
        raise InvalidInput(
            "Please name the source and its reference, like the value bank's name and version."
        )
    source_text = require_text(source, SOURCE_MAX, single_line=True)
    notes_text = require_text(notes, NOTES_MAX) if notes.strip() else None
    if not valid_from.strip():
        raise InvalidInput("Please give the date the value applies from, like 2026-04-01.")
    value = SocialValue(
        activity=activity,
        pence=pence,
        unit=unit,
        source_kind=source_kind,
        source=source_text,
        notes=notes_text,
        valid_from=_day(valid_from),
        additive=additive,
        entered_by=actor,
        entered_at=now,
    )
    session.add(value)
    await session.flush()
    record_action(
        session,
        actor,
        "social_value.added",
        "social_value",
        value.id,
        {
            "activity": activity,
            "activity_name": found.name,
            "value": pounds(pence),
            "unit": unit,
            "per": UNIT_WORDS[unit],
            "source_kind": source_kind,
            "source": source_text,
            "valid_from": value.valid_from.isoformat(),
            "additive": additive,
        },
        now=now,
    )
    return value
