"""The association's settings: the environment's values, with the admins' changes on top.

Every reader (quiet hours in deliveries, broadcasts and event reminders, the retention
job, the dashboard) asks ``effective_settings`` within its own unit of work: one small
read of one row per job run or web request. A Telegram update reads the row in the same
query that loads its conversation (bot/tg/turns.py) and applies it with
``settings_in_force``, so it costs no round trip of its own. Nothing is cached in
memory, so a change made on one replica holds on every replica at once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import time
from typing import Any, get_args

from sqlalchemy.ext.asyncio import AsyncSession

from bot.audit import record_action
from bot.config import RESOLVED_CLOSE_DAYS_MAX, Settings
from bot.errors import InvalidInput
from bot.i18n import N_
from bot.models import AssociationSettings
from bot.models.association import SETTINGS_ROW_ID
from bot.models.base import utcnow
from bot.text import parse_time_of_day, require_text

NAME_MAX_LENGTH = 120
# Emergency contacts go at the top of replies: a Telegram message holds 4,096 characters.
CONTACTS_MAX_LENGTH = 1000
MONTHS_MAX = 600
HOMES_MAX = 10_000_000
REGIONS: tuple[str, ...] = get_args(Settings.model_fields["bank_holiday_region"].annotation)
REGION_LABELS = {
    "england-and-wales": N_("England and Wales"),
    "scotland": N_("Scotland"),
    "northern-ireland": N_("Northern Ireland"),
}

# The settings admins may change, in the order the form shows them.
EDITABLE = (
    "association_name",
    "emergency_contacts",
    "quiet_hours_start",
    "quiet_hours_end",
    "bank_holiday_region",
    "retention_months",
    "complaint_retention_months",
    "resolved_close_days",
    "homes",
)


async def settings_row(session: AsyncSession) -> AssociationSettings | None:
    """The admins' changes as stored (None before the first), read now."""
    return await session.get(AssociationSettings, SETTINGS_ROW_ID, populate_existing=True)


def _overrides(row: AssociationSettings | None) -> dict[str, Any]:
    if row is None:
        return {}
    return {name: getattr(row, name) for name in EDITABLE if getattr(row, name) is not None}


def settings_in_force(row: AssociationSettings | None, settings: Settings) -> Settings:
    """``settings`` with the admins' changes in ``row`` applied (a row the caller just read)."""
    overrides = _overrides(row)
    return settings.model_copy(update=overrides) if overrides else settings


async def effective_settings(session: AsyncSession, settings: Settings) -> Settings:
    """``settings`` with the admins' changes applied (read now, never cached)."""
    return settings_in_force(await settings_row(session), settings)


@dataclass(frozen=True)
class SettingValue:
    """One editable setting as the form shows it: its value and whether it is changed."""

    name: str
    value: Any
    default: Any
    changed: bool


async def setting_values(session: AsyncSession, settings: Settings) -> list[SettingValue]:
    """Each editable setting: the value in force and the environment's default."""
    overrides = _overrides(await settings_row(session))
    return [
        SettingValue(
            name,
            overrides.get(name, getattr(settings, name)),
            getattr(settings, name),
            name in overrides,
        )
        for name in EDITABLE
    ]


def _same(message: str) -> str:
    return message


def problem_words(problem: InvalidInput, translate: Callable[[str], str] = _same) -> str:
    """A field's mistake as a sentence, in the language ``translate`` gives (default: the
    English). Its ``label`` is a field's name (a msgid) and its ``reason`` may be another
    mistake (the text check's), so both are said in that language too."""
    params = {
        key: problem_words(value, translate)
        if isinstance(value, InvalidInput)
        else translate(value)
        if key == "label" and isinstance(value, str)
        else value
        for key, value in problem.params.items()
    }
    return translate(problem.message_id).format(**params)


def _text(label: str, raw: str, limit: int, *, single_line: bool) -> str:
    try:
        return require_text(raw, limit, single_line=single_line)
    except InvalidInput as exc:
        raise InvalidInput("{label}: {reason}", label=label, reason=exc) from None


def _time(label: str, raw: str) -> time:
    try:
        return parse_time_of_day(raw)
    except InvalidInput:
        raise InvalidInput(
            "{label}: type a time on the 24-hour clock, like 21:00.", label=label
        ) from None


def _whole(label: str, raw: str, low: int, high: int, *, optional: bool = False) -> int | None:
    value = raw.strip().replace(",", "")
    if optional and value == "":
        return None
    if not (value.isascii() and value.isdecimal()) or not low <= int(value) <= high:
        raise InvalidInput(
            "{label}: type a whole number from {low} to {high}.",
            label=label,
            low=format(low, ","),
            high=format(high, ","),
        )
    return int(value)


class SettingsInvalid(InvalidInput):
    """Settings that cannot be saved: every field at fault with its message ("Number of
    homes: type a whole number..."), in the form's order, so the page can show each beside
    its field at once. Its own message is all of them, for callers that show one line.
    ``problems`` keeps each as a msgid with its parameters, so the dashboard can say them
    in the reader's language (``words``); ``errors`` is the English."""

    def __init__(self, problems: dict[str, InvalidInput]) -> None:
        self.problems = problems
        self.errors = self.words()
        super().__init__("{problems}", problems=" ".join(self.errors.values()))

    def words(self, translate: Callable[[str], str] = _same) -> dict[str, str]:
        """Each field's mistake in the language ``translate`` gives, in the form's order."""
        return {name: problem_words(problem, translate) for name, problem in self.problems.items()}


def _region(raw: str) -> str:
    if raw not in REGIONS:
        raise InvalidInput("Bank holidays: choose one of the regions on the list.")
    return raw


# Each editable setting's check: the typed text -> the value, or InvalidInput saying why.
# The labels are msgids: a mistake names its field in the reader's language.
_CHECKS: dict[str, Callable[[str], Any]] = {
    "association_name": lambda raw: _text(
        N_("Association name"), raw, NAME_MAX_LENGTH, single_line=True
    ),
    "emergency_contacts": lambda raw: _text(
        N_("Emergency contacts"), raw, CONTACTS_MAX_LENGTH, single_line=False
    ),
    "quiet_hours_start": lambda raw: _time(N_("Quiet hours start"), raw),
    "quiet_hours_end": lambda raw: _time(N_("Quiet hours end"), raw),
    "bank_holiday_region": _region,
    "retention_months": lambda raw: _whole(N_("Retention of closed records"), raw, 1, MONTHS_MAX),
    "complaint_retention_months": lambda raw: _whole(
        N_("Retention of complaints"), raw, 1, MONTHS_MAX
    ),
    "resolved_close_days": lambda raw: _whole(
        N_("Resolved reports close after"), raw, 1, RESOLVED_CLOSE_DAYS_MAX
    ),
    "homes": lambda raw: _whole(N_("Number of homes"), raw, 1, HOMES_MAX, optional=True),
}


def parse_settings_form(form: Mapping[str, str]) -> dict[str, Any]:
    """The submitted settings, every field checked (not only up to the first mistake);
    SettingsInvalid names each field at fault, so one correction round is enough."""
    values: dict[str, Any] = {}
    errors: dict[str, InvalidInput] = {}
    for name, check in _CHECKS.items():
        try:
            values[name] = check(form.get(name, ""))
        except InvalidInput as exc:
            errors[name] = exc
    start, end = values.get("quiet_hours_start"), values.get("quiet_hours_end")
    if start is not None and start == end:
        errors["quiet_hours_end"] = InvalidInput(
            "Quiet hours: the start and the end are the same time. Choose a different end "
            "(e.g. 21:00 to 08:00)."
        )
    kept, complaints = values.get("retention_months"), values.get("complaint_retention_months")
    if kept is not None and complaints is not None and complaints < kept:
        errors["complaint_retention_months"] = InvalidInput(
            "Retention of complaints: keep complaints at least as long as other closed "
            "records (the Complaint Handling Code needs their full record)."
        )
    if errors:
        raise SettingsInvalid({name: errors[name] for name in EDITABLE if name in errors})
    return values


def _shown(value: Any) -> Any:
    return value.strftime("%H:%M") if isinstance(value, time) else value


async def save_settings(
    session: AsyncSession, settings: Settings, form: Mapping[str, str], *, actor: str
) -> list[str]:
    """Check and store the admins' settings (audited, before and after); the names changed.

    A value equal to the environment's is stored as "as configured" (null), so a later
    change of the environment still reaches it.
    """
    wanted = parse_settings_form(form)
    row = await settings_row(session)
    before = await effective_settings(session, settings)
    if row is None:
        row = AssociationSettings(id=SETTINGS_ROW_ID)
        session.add(row)
    changed = [name for name in EDITABLE if getattr(before, name) != wanted[name]]
    for name in EDITABLE:
        setattr(row, name, None if wanted[name] == getattr(settings, name) else wanted[name])
    if changed:
        row.updated_at = utcnow()
        row.updated_by = actor[:64]
        # Quiet hours are read as a pair ("21:00-08:00"): either changed, both are recorded.
        pair = {"quiet_hours_start", "quiet_hours_end"}
        recorded = [n for n in EDITABLE if n in changed or (pair & set(changed) and n in pair)]
        record_action(
            session,
            actor,
            "settings.changed",
            "association",
            SETTINGS_ROW_ID,
            {
                "before": {name: _shown(getattr(before, name)) for name in recorded},
                "after": {name: _shown(wanted[name]) for name in recorded},
            },
        )
    await session.flush()
    return changed
