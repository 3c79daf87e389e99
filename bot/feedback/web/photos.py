"""A resident's photo on the report page, fetched from the Bot API when the <img> asks
(``bot.web.telegram_files``), or a placeholder picture when it can't be."""

from __future__ import annotations

from importlib.resources import files

from aiohttp import web

from bot.feedback.web.detail import feedback_id_of
from bot.models import Feedback, FeedbackAttachment
from bot.scope import may_see_report, scope_of_user
from bot.web.pages import path_id
from bot.web.security import SESSIONS, SETTINGS, access, current_user
from bot.web.telegram_files import BOT_API_HTTP, BOT_TOKEN, PhotoUnavailable, fetch_photo

# Shown in place of a photo that the Bot API could not give (unreachable, too big...).
PHOTO_PLACEHOLDER = files("bot.web").joinpath("static", "photo-unavailable.svg").read_bytes()


@access("viewer")
async def feedback_photo(request: web.Request) -> web.StreamResponse:
    """A resident's photo, fetched from the Bot API; a plain placeholder when it can't be."""
    feedback_id = feedback_id_of(request)
    attachment_id = path_id(request, "attachment_id")
    async with request.app[SESSIONS]() as db:
        scope = await scope_of_user(db, current_user(request))
        report = await db.get(Feedback, feedback_id)
        photo = await db.get(FeedbackAttachment, attachment_id)
    if (
        report is None
        or not may_see_report(scope, report)
        or photo is None
        or photo.feedback_id != report.id
        or photo.kind != "photo"
    ):
        raise web.HTTPNotFound()
    try:
        data = await fetch_photo(
            request.app[BOT_API_HTTP],
            request.app[SETTINGS],
            request.app[BOT_TOKEN],
            photo.telegram_file_id,
        )
    except PhotoUnavailable:
        # A picture saying so, where the photo would be (the page has no scripts to react).
        return web.Response(
            body=PHOTO_PLACEHOLDER,
            content_type="image/svg+xml",
            headers={"Cache-Control": "no-store"},
        )
    # Personal data: the browser may keep it, shared caches may not.
    return web.Response(
        body=data, content_type="image/jpeg", headers={"Cache-Control": "private, max-age=3600"}
    )
