"""The dashboard's erasure of a resident's data: an admin's action on the residents list.

It does what the resident's own /forget does (``bot.privacy.erasure.erase_resident``),
after a ticked confirmation, and is audited. The confirmation sits on the list itself
(``residents.html``); a refusal is a small page saying why, with the way back.
"""

from __future__ import annotations

from aiohttp import web

from bot.association.service import effective_settings
from bot.audit import user_actor
from bot.events.notices import Notices
from bot.models import Resident
from bot.models.base import utcnow
from bot.privacy.erasure import erase_resident
from bot.web.pages import Failure, Form, Refused, form_action, path_id, render, see_other
from bot.web.security import SESSIONS, SETTINGS, access, current_user


async def _refused(request: web.Request, failure: Failure) -> web.StreamResponse:
    return render(request, "resident_erase.html", {"error": failure.message}, status=failure.status)


@access("admin")
@form_action(_refused)
async def resident_erase(request: web.Request, form: Form) -> web.Response:
    """Erase a resident's data (ticked to confirm): places given up, reports anonymised."""
    resident_id = path_id(request, "resident_id")
    if form.get("confirm") != "yes":
        raise Refused("Tick the box to confirm that this resident's data is to be erased.", 400)
    async with request.app[SESSIONS].begin() as db:
        resident = await db.get(Resident, resident_id)
        if resident is None:
            raise web.HTTPNotFound()
        settings = await effective_settings(db, request.app[SETTINGS])
        await erase_resident(
            db,
            resident,
            Notices.of(settings),
            now=utcnow(),
            actor=user_actor(current_user(request)),
        )
    return see_other("/residents?done=erased")
