"""The dashboard's settings page: the association's settings, each beside the value
configured on the server. Admins only; the service checks and audits every change.

A refusal follows the GOV.UK pattern: every field is checked, each mistake is shown beside
its field and listed in an error summary at the top, and everything typed stays in the
form (nothing is saved until all of it is right). The page and its mistakes are in the
admin's language (``bot.web.language``)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.association import service as association
from bot.audit import user_actor
from bot.config import RESOLVED_CLOSE_DAYS_MAX
from bot.delivery.holding import retime_held
from bot.delivery.outbox import QuietHours
from bot.i18n import N_
from bot.models.base import utcnow
from bot.web.language import _
from bot.web.pages import Failure, Form, form_action, render, see_other
from bot.web.security import SESSIONS, SETTINGS, access, current_user

NOTICES = {
    "settings": N_(
        "The settings are saved. They apply at once, on every part of Doorstep (messages "
        "held by quiet hours go by the new quiet hours)."
    ),
    "unchanged": N_("Nothing changed."),
}


def _shown(value: Any) -> str:
    if value is None:
        return ""
    return value.strftime("%H:%M") if hasattr(value, "strftime") else str(value)


async def _settings_page(
    request: web.Request, failure: Failure | None = None, errors: dict[str, str] | None = None
) -> web.Response:
    notice = NOTICES.get(request.query.get("done", ""))
    async with request.app[SESSIONS]() as db:
        values = await association.setting_values(db, request.app[SETTINGS])
    fields = {
        v.name: {
            "value": failure.kept.get(v.name, "") if failure else _shown(v.value),
            "default": _shown(v.default),
            "changed": v.changed,
        }
        for v in values
    }
    return render(
        request,
        "settings.html",
        {
            "fields": fields,
            "regions": association.REGION_LABELS,
            "name_max": association.NAME_MAX_LENGTH,
            "contacts_max": association.CONTACTS_MAX_LENGTH,
            "months_max": association.MONTHS_MAX,
            "close_days_max": RESOLVED_CLOSE_DAYS_MAX,
            "notice": _(notice) if notice else None,
            # Mistakes in fields are beside them (and summarised); another refusal on top.
            "error": failure.message if failure and not errors else None,
            "errors": errors or {},
            "timezone": request.app[SETTINGS].timezone,
        },
        status=failure.status if failure else 200,
    )


@access("admin")
async def settings_page(request: web.Request) -> web.StreamResponse:
    """The association's settings, each with the configured default beside it."""
    return await _settings_page(request)


@access("admin")
@form_action(_settings_page)
async def settings_save(request: web.Request, form: Form) -> web.Response:
    """Save the settings (checked, audited); a refusal keeps what was typed."""
    typed = {name: str(form.get(name, "")) for name in association.EDITABLE}
    try:
        async with request.app[SESSIONS].begin() as db:
            changed = await association.save_settings(
                db, request.app[SETTINGS], typed, actor=user_actor(current_user(request))
            )
            if {"quiet_hours_start", "quiet_hours_end"} & set(changed):
                # Messages held by the old quiet hours move at once, earlier or later.
                in_force = await association.effective_settings(db, request.app[SETTINGS])
                await retime_held(db, QuietHours.of(in_force), utcnow())
    except association.SettingsInvalid as invalid:  # rolled back: nothing saved
        return await _settings_page(request, Failure("", 400, typed), invalid.words(_))
    return see_other("/settings?done=" + ("settings" if changed else "unchanged"))
