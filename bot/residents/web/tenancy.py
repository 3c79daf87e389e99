"""A resident's tenancy, for the TSM survey: their tenure and tenancy reference.

Staff (for their neighbourhoods' residents) and admins set them from the residents list.
The tenure decides which survey a resident is in: LCRA and LCHO are surveyed and reported
apart, and "none" (leaseholders and the like) is not surveyed (docs/regulation-tsm.md §4,
§9 item 9); unset, it is the neighbourhood's. Residents with the same tenancy reference are
one household, which answers once a year (§9 item 8). An erased resident has no page.
"""

from __future__ import annotations

from aiohttp import web

from bot.audit import user_actor
from bot.models import Resident
from bot.residents import service as residents
from bot.residents.tenure import TENURE_WORDS
from bot.scope import may_see_resident, scope_of_user
from bot.web.language import _
from bot.web.pages import Failure, Form, form_action, path_id, render, see_other
from bot.web.security import SESSIONS, access, current_user


def tenure_choices() -> list[tuple[str, str]]:
    """(code, words) for each tenure, in the reader's language."""
    return [(code, _(TENURE_WORDS[code])) for code in residents.TENURES]


async def _resident_or_404(request: web.Request) -> Resident:
    """The resident the URL names, if the user may see them; else a plain 404."""
    resident_id = path_id(request, "resident_id")
    async with request.app[SESSIONS]() as db:
        resident = await residents.resident_for_tenancy(db, resident_id)
        scope = await scope_of_user(db, current_user(request))
    if resident is None or not may_see_resident(scope, resident):
        raise web.HTTPNotFound()
    return resident


async def _tenancy_page(request: web.Request, failure: Failure | None = None) -> web.StreamResponse:
    resident = await _resident_or_404(request)
    area = resident.neighbourhood
    inherited = _(TENURE_WORDS[(area.tenure if area else None) or residents.DEFAULT_TENURE])
    if area is not None:
        as_area = _("As the neighbourhood ({tenure})").format(tenure=inherited)
    else:
        as_area = _("As the neighbourhood (none chosen, so {tenure})").format(tenure=inherited)
    # A refused save shows what was typed; otherwise what is stored.
    typed = failure.kept if failure else {}
    stored = {"tenure": resident.tenure or "", "household_ref": resident.household_ref or ""}
    return render(
        request,
        "tenancy.html",
        {
            "resident": resident,
            "area": area,
            "choices": [("", as_area), *tenure_choices()],
            "tenure": typed.get("tenure", "") if failure else stored["tenure"],
            "household_ref": typed.get("household_ref", "") if failure else stored["household_ref"],
            "max_length": residents.HOUSEHOLD_REF_MAX_LENGTH,
            "error": failure.message if failure else None,
            "notice": _("Saved.") if request.query.get("done") == "saved" and not failure else None,
        },
        status=failure.status if failure else 200,
    )


@access("staff")
async def tenancy_page(request: web.Request) -> web.StreamResponse:
    """A resident's tenure and tenancy reference, to see and change."""
    return await _tenancy_page(request)


@access("staff")
@form_action(_tenancy_page)
async def tenancy_save(request: web.Request, form: Form) -> web.Response:
    """Save a resident's tenure (empty: the neighbourhood's) and tenancy reference (audited,
    without the reference); a refusal draws the page again with what was typed."""
    resident_id = path_id(request, "resident_id")
    user = current_user(request)
    async with request.app[SESSIONS].begin() as db:
        resident = await residents.resident_for_tenancy(db, resident_id)
        if resident is None or not may_see_resident(await scope_of_user(db, user), resident):
            raise web.HTTPNotFound()
        await residents.set_tenancy(
            db,
            resident,
            tenure=str(form.get("tenure", "")),
            household_ref=str(form.get("household_ref", "")),
            actor=user_actor(user),
        )
    return see_other(f"/residents/{resident_id}/tenancy?done=saved")
