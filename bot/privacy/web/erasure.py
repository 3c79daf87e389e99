"""The dashboard's erasure of a resident's data: an admin's action on the residents list.

It does what the resident's own /forget does (``bot.privacy.erasure.erase_resident``),
after a ticked confirmation, and is audited. The confirmation sits on the list itself
(``residents.html``). The answer is a page saying what was erased, which reports were
kept, why and until when; a refusal is the same page saying why nothing was erased.
"""

from __future__ import annotations

from aiohttp import web

from bot.association.service import effective_settings
from bot.audit import user_actor
from bot.i18n import N_
from bot.models import Resident
from bot.models.base import utcnow
from bot.privacy.erasure import erase_resident
from bot.privacy.evidence import EXCEPTION, retention_months
from bot.web.language import _
from bot.web.pages import Failure, Form, Refused, form_action, path_id, render
from bot.web.security import SESSIONS, SETTINGS, access, current_user

HAZARDS = {"emergency": N_("emergency hazard"), "damp_mould": N_("damp and mould hazard")}


async def _refused(request: web.Request, failure: Failure) -> web.StreamResponse:
    return render(request, "resident_erase.html", {"error": failure.message}, status=failure.status)


@access("admin")
@form_action(_refused)
async def resident_erase(request: web.Request, form: Form) -> web.Response:
    """Erase a resident's data (ticked to confirm): places given up, reports anonymised but
    the complaints and hazard cases kept as evidence, which the answer lists."""
    resident_id = path_id(request, "resident_id")
    if form.get("confirm") != "yes":
        raise Refused(_("Tick the box to confirm that this resident's data is to be erased."), 400)
    async with request.app[SESSIONS].begin() as db:
        resident = await db.get(Resident, resident_id)
        if resident is None:
            raise web.HTTPNotFound()
        settings = await effective_settings(db, request.app[SETTINGS])
        kept = await erase_resident(
            db, resident, settings, now=utcnow(), actor=user_actor(current_user(request))
        )
    return render(
        request,
        "resident_erase.html",
        {
            "erased": resident_id,
            "kept": [
                {
                    "id": k.id,
                    "reference": k.reference,
                    "kinds": ", ".join(
                        ([_("complaint")] if k.is_complaint else [])
                        + ([_(HAZARDS.get(k.hazard_kind, k.hazard_kind))] if k.hazard_kind else [])
                    ),
                    "until": k.until.strftime("%d %b %Y") if k.until else None,
                }
                for k in kept
            ],
            "exception": EXCEPTION,
            "months": retention_months(settings),
        },
    )
