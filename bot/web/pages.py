"""What every dashboard page uses: rendering, redirects, ids from the URL, QR codes, and one
place that turns a refused action into the page drawn again with the reason.

Feature pages live in their feature (``bot/<feature>/web/``); they import from here.
Dashboard text is in the person's language (``bot/web/language.py``): ``_`` here and in
templates, ``N_`` to mark module-level text.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp_jinja2
import segno
from aiohttp import web
from multidict import MultiMapping
from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import DomainError
from bot.i18n import N_
from bot.models import DashboardUser, StaffMember
from bot.tables import ExportFormat
from bot.text import whole_number
from bot.web.forms import read_form
from bot.web.language import _, current_language
from bot.web.security import CSRF_FIELD, USER, csrf_token

NOTICES = {
    "password": N_("Your password has been changed. Other sessions have been logged out."),
    "totp-on": N_("Two-step login is on. You will need a code from your app each time."),
    "totp-off": N_("Two-step login is off."),
    "recovery-codes": N_("Here is a new set of recovery codes. The old ones no longer work."),
    "user-created": N_("The user has been created."),
    "user-saved": N_("The change has been saved."),
    "everywhere": N_("Every other session of yours has been logged out."),
    "logged-out": N_("You are logged out."),
    "logged-out-everywhere": N_("You are logged out, here and on every other device."),
    "language": N_("The dashboard will now be in the language you chose."),
}


def path_id(request: web.Request, name: str) -> int:
    """The number in the URL's ``{name}`` part; anything else is a plain 404."""
    number = whole_number(request.match_info[name])
    if number is None:
        raise web.HTTPNotFound()
    return number


EXPORT_TYPES: dict[ExportFormat, str] = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


async def staff_member_of(db: AsyncSession, user: DashboardUser) -> StaffMember | None:
    """The active staff member a dashboard account acts as, or None when it is not linked."""
    if user.staff_member_id is None:
        return None
    member = await db.get(StaffMember, user.staff_member_id)
    if member is None or not member.active or member.revoked_at is not None:
        return None
    return member


class Refused(Exception):
    """An action refused before anything was written; the message is plain English."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


UNLINKED = N_(
    "Your dashboard account is not linked to an active staff member, so it can read but "
    "not act. Ask an admin to link it."
)


def local_words(moment: datetime | None, tz: ZoneInfo) -> str:
    """A stored UTC time as people read it ("Sat 05 Dec 2026, 10:00"); "" for none."""
    return moment.astimezone(tz).strftime("%a %d %b %Y, %H:%M") if moment else ""


def qr_svg(text: str, *, scale: int = 4) -> str:
    """``text`` as an inline SVG QR code (no external image, nothing for the CSP to allow)."""
    # A viewBox instead of a fixed size: the stylesheet sizes it, and it scales, not crops.
    code = segno.make(text, error="m")
    return str(code.svg_inline(scale=scale, omitsize=True, dark="#000", light="#fff"))


def see_other(location: str) -> web.Response:
    """A 303 redirect returned (not raised), so the handler's transaction commits first."""
    return web.Response(status=303, headers={"Location": location})


def render(
    request: web.Request, template: str, context: dict[str, Any], *, status: int = 200
) -> web.Response:
    """A page from the dashboard's templates (autoescaped) with the user, the CSRF token
    and the path (the menu marks the section it is in)."""
    notice = NOTICES.get(request.query.get("done", ""))
    notice = _(notice) if notice else None
    full = {
        "user": request.get(USER),
        "csrf_token": csrf_token(request),
        "notice": notice,
        "current_path": request.path,
        "lang": current_language(),
        **context,
    }
    return aiohttp_jinja2.render_template(template, request, full, status=status)


@dataclass(frozen=True)
class Failure:
    """Why an action was refused, and what the person had typed (to show it again)."""

    message: str
    status: int = 400
    kept: dict[str, str] = field(default_factory=dict)


def refusal_words(error: DomainError) -> str:
    """A service's refusal as the sentence the dashboard shows, in the person's language."""
    return _(error.message_id).format(**error.params)


Form = MultiMapping[Any]
Action = Callable[[web.Request, Form], Awaitable[web.StreamResponse]]
Page = Callable[[web.Request, Failure], Awaitable[web.StreamResponse]]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def form_action(page: Page) -> Callable[[Action], Handler]:
    """A POST that changes something, given the posted form.

    The action raises ``Refused`` or a service's ``DomainError`` to refuse; its
    transaction is then rolled back and ``page`` is drawn again with the reason and what
    was typed, so nothing the person wrote is lost. On success the action returns its
    answer (usually ``see_other``).
    """

    def wrap(action: Action) -> Handler:
        @functools.wraps(action)
        async def handler(request: web.Request) -> web.StreamResponse:
            form = await read_form(request)
            kept = {k: v for k, v in form.items() if k != CSRF_FIELD and isinstance(v, str)}
            try:
                return await action(request, form)
            except Refused as refused:
                return await page(request, Failure(refused.message, refused.status, kept))
            except DomainError as error:
                return await page(request, Failure(refusal_words(error), 400, kept))

        return handler

    return wrap
