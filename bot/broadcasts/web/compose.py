"""The dashboard's compose form: write an announcement, then Preview keeps it as a draft.

Composing goes through the same service path as /announce in Telegram: the previewed
announcement is saved as a draft (`save_draft`) and Confirm acts on exactly that row
(``confirm.py``). Staff limited to some neighbourhoods may address only those.

A photo is a Telegram file id: one chosen in the form is first sent to the staff member's
own chat (``telegram_files.dashboard_photo``) for its file id, which the form carries from
then on (a hidden field; "Change it" keeps it). With a photo the text is its caption, so
Telegram's caption limit applies.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from multidict import MultiMapping
from sqlalchemy.ext.asyncio import AsyncSession

from bot.association.service import effective_settings
from bot.broadcasts.audiences import Audience
from bot.broadcasts.composing import CAPTION_LIMIT, TEXT_LIMIT, check_text
from bot.broadcasts.lifecycle import Plan, save_draft
from bot.broadcasts.preview import preview_facts, telegram_markup_problem
from bot.broadcasts.schedules import WEEKDAYS, parse_weekly, weekly
from bot.i18n import N_
from bot.models import Announcement, DashboardUser, Neighbourhood, StaffMember, Topic
from bot.models.base import utcnow
from bot.residents.service import active_topics, neighbourhoods_by_name
from bot.scope import scope_of_user
from bot.text import parse_moment, parse_time_of_day, whole_number
from bot.web.forms import read_form, takes_files
from bot.web.language import _, current_language
from bot.web.pages import (
    UNLINKED,
    Failure,
    Form,
    Refused,
    form_action,
    render,
    staff_member_of,
)
from bot.web.security import SESSIONS, SETTINGS, access, current_user
from bot.web.telegram_files import PhotoRefused, dashboard_photo, file_id_of

WHEN_CHOICES = {"now": N_("Send now"), "at": N_("At a date and time"), "weekly": N_("Every week")}
# A chosen neighbourhood or topic that is not on the form's list (whole sentences: Welsh
# mutates the word after "no such").
_NO_SUCH = {
    "neighbourhood": N_("There is no such neighbourhood to choose. Please choose from the list."),
    "topic": N_("There is no such topic to choose. Please choose from the list."),
}
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


@dataclass
class ComposeForm:
    """What was typed into the compose form, kept as typed to show it again."""

    text: str = ""
    areas: list[str] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)
    when: str = "now"
    day: str = ""
    at: str = ""
    days: list[str] = field(default_factory=list)
    weekly_at: str = ""
    urgent: bool = False
    replaces: str = ""
    photo: str = ""  # the Telegram file id of the photo sent with it, if any

    @classmethod
    def posted(cls, form: MultiMapping[Any]) -> ComposeForm:
        """The form as it was posted (values cut to size; anything not text ignored)."""

        def one(name: str, limit: int = 64) -> str:
            value = form.get(name, "")
            return value[:limit] if isinstance(value, str) else ""

        def every(name: str) -> list[str]:
            return [v[:20] for v in form.getall(name, []) if isinstance(v, str)][:100]

        kept_photo = file_id_of(form.get("photo_file_id")) or ""
        return cls(
            text=one("text", TEXT_LIMIT * 4),
            areas=every("area"),
            topics=every("topic"),
            when=one("when"),
            day=one("date"),
            at=one("time"),
            days=every("day"),
            weekly_at=one("weekly_time"),
            urgent=one("urgent") == "yes",
            replaces=one("replaces"),
            photo="" if one("remove_photo") == "yes" else kept_photo,
        )

    @classmethod
    def of_draft(cls, row: Announcement, tz: ZoneInfo) -> ComposeForm:
        """The form filled in from a draft, to change it."""
        filled = cls(
            text=row.text,
            areas=[str(i) for i in row.neighbourhood_ids or ()],
            topics=[str(i) for i in row.topic_ids or ()],
            urgent=row.urgent,
            replaces=str(row.id),
            photo=row.photo_file_id or "",
        )
        if row.recurrence:
            days, at = parse_weekly(row.recurrence)
            filled.when, filled.days, filled.weekly_at = "weekly", days, f"{at:%H:%M}"
        elif row.send_at is not None:
            local = row.send_at.astimezone(tz)
            filled.when, filled.day, filled.at = "at", local.date().isoformat(), f"{local:%H:%M}"
        return filled


# The form as posted with the photo just sent, for the page drawn again after a refusal.
COMPOSED = web.RequestKey("composed_announcement", ComposeForm)


def _ids(values: list[str], allowed: set[int], what: str) -> tuple[int, ...]:
    chosen = set()
    for value in values:
        number = whole_number(value)
        if number is None or number not in allowed:
            raise Refused(_(_NO_SUCH[what]), 400)
        chosen.add(number)
    return tuple(sorted(chosen))


def _timing(form: ComposeForm, tz: ZoneInfo, now: datetime) -> tuple[datetime | None, str | None]:
    """The one-off time or the weekly recurrence the form chose (neither: now)."""
    if form.when == "at":
        if not _DATE.match(form.day):
            raise Refused(_("Please choose the date to send it, like 2026-12-01."), 400)
        return parse_moment(f"{form.day} {form.at}", tz=tz, now=now), None
    if form.when == "weekly":
        if any(day not in WEEKDAYS for day in form.days):
            raise Refused(_("There is no such day of the week. Please choose from the list."), 400)
        return None, weekly(form.days, parse_time_of_day(form.weekly_at))
    if form.when != "now":
        raise Refused(_("Please choose when it should go out."), 400)
    return None, None


def plan_of(
    form: ComposeForm,
    *,
    areas: list[Neighbourhood],
    restricted: bool,
    topics: list[Topic],
    tz: ZoneInfo,
    now: datetime,
) -> Plan:
    """The announcement the form describes, or Refused / DomainError with a plain reason."""
    text = check_text(form.text, caption=bool(form.photo))
    problem = telegram_markup_problem(text)
    if problem is not None:
        raise Refused(
            _(
                "Telegram could not show this announcement ({problem}), so it cannot be sent. "
                "If you typed a < sign on its own, write &lt; instead; every tag you open, "
                "like <b>, needs closing, like </b>."
            ).format(problem=problem),
            400,
        )
    area_ids = _ids(form.areas, {a.id for a in areas}, "neighbourhood")
    if restricted and not area_ids:
        area_ids = tuple(sorted(a.id for a in areas))  # "all" of the ones they cover
    topic_ids = _ids(form.topics, {t.id for t in topics}, "topic")
    send_at, recurrence = _timing(form, tz, now)
    return Plan(
        text=text,
        photo_file_id=form.photo or None,
        audience=Audience(area_ids, topic_ids),
        urgent=form.urgent,
        send_at=send_at,
        recurrence=recurrence,
    )


async def _compose_context(
    db: AsyncSession, user: DashboardUser, form: ComposeForm, request: web.Request
) -> dict[str, Any]:
    settings = await effective_settings(db, request.app[SETTINGS])
    scope = await scope_of_user(db, user)
    return {
        "form": form,
        "areas": await neighbourhoods_by_name(db, scope),
        "restricted": scope is not None,
        "topics": list(await active_topics(db)),
        "staff": await staff_member_of(db, user),
        "unlinked": _(UNLINKED),
        "weekdays": WEEKDAYS,
        "when_choices": WHEN_CHOICES,
        "text_limit": TEXT_LIMIT,
        "caption_limit": CAPTION_LIMIT,
        "quiet_start": f"{settings.quiet_hours_start:%H:%M}",
        "quiet_end": f"{settings.quiet_hours_end:%H:%M}",
        "timezone": str(settings.tz),
    }


async def form_page(
    request: web.Request, form: ComposeForm, *, error: str | None = None, status: int = 200
) -> web.Response:
    """The compose form, filled in with ``form`` (and why it was refused, if it was)."""
    async with request.app[SESSIONS]() as db:
        context = await _compose_context(db, current_user(request), form, request)
    return render(request, "announcement_form.html", {**context, "error": error}, status=status)


@access("staff")
async def compose_form(request: web.Request) -> web.StreamResponse:
    """The compose form (filled in from one's own draft with ?draft=ID, to change it)."""
    form = ComposeForm()
    draft_id = whole_number(request.query.get("draft", ""))
    if draft_id is not None:
        async with request.app[SESSIONS]() as db:
            staff = await staff_member_of(db, current_user(request))
            row = await db.get(Announcement, draft_id)
            if row and staff and row.status == "draft" and row.created_by_staff_id == staff.id:
                form = ComposeForm.of_draft(row, request.app[SETTINGS].tz)
    return await form_page(request, form)


async def _compose_refused(request: web.Request, failure: Failure) -> web.StreamResponse:
    """The form again, as typed (with a photo just sent), and why it was refused."""
    form = request.get(COMPOSED) or ComposeForm.posted(await read_form(request))
    return await form_page(request, form, error=failure.message, status=failure.status)


@access("staff")
@takes_files
@form_action(_compose_refused)
async def compose_preview(request: web.Request, posted: Form) -> web.StreamResponse:
    """Check what was typed; keep it as a draft and show the preview with Confirm."""
    form = ComposeForm.posted(posted)
    request[COMPOSED] = form
    try:
        form.photo = await dashboard_photo(request, posted, "an announcement") or form.photo
    except PhotoRefused as refused:
        raise Refused(str(refused), 400) from None
    now = utcnow()
    async with request.app[SESSIONS].begin() as db:
        settings = await effective_settings(db, request.app[SETTINGS])
        context = await _compose_context(db, current_user(request), form, request)
        staff: StaffMember | None = context["staff"]
        if staff is None:
            raise Refused(_(UNLINKED), 403)
        plan = plan_of(
            form,
            areas=context["areas"],
            restricted=context["restricted"],
            topics=context["topics"],
            tz=settings.tz,
            now=now,
        )
        draft = await save_draft(db, plan, staff.id, replaces=whole_number(form.replaces))
        preview = await preview_facts(db, draft, settings, now, current_language())
    return render(request, "announcement_preview.html", preview)
