"""Dashboard pages for the neighbourhoods residents choose from: the list with each one's
deep link and residents count, adding, renaming, taking off the list, whether their homes
are in England, their tenure for the TSM survey, and QR posters.

Admins only; every change is audited (before and after) by the service it goes through.
The poster is for residents: it is printed in English, in Welsh or in both (Welsh first),
as the admin chooses (their dashboard's language unless they choose).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from markupsafe import Markup, escape

from bot.association.service import effective_settings
from bot.audit import user_actor
from bot.i18n import N_, Gettext, gettext_for
from bot.models import Neighbourhood
from bot.residents import service as residents
from bot.residents.web.listed import listed_or_404, refused_in_a_row, render_list
from bot.residents.web.tenancy import tenure_choices
from bot.web.language import current_language
from bot.web.pages import Failure, Form, form_action, qr_svg, render, see_other
from bot.web.security import SESSIONS, SETTINGS, access, current_user


def bot_username(request: web.Request) -> str | None:
    """The bot's @username, once the bot has started (None before)."""
    from bot.web.app import COMPONENTS  # app.py imports the pages: looked up when used

    return request.app[COMPONENTS].bot_username


def deep_link(username: str | None, code: str) -> str:
    """The t.me link that opens the bot with a neighbourhood pre-selected."""
    return f"https://t.me/{username or '<bot username>'}?start={code}"


# The poster's languages, as ``?language=`` chooses them; each part is printed in these.
POSTER_LANGUAGES = {"en": ("en",), "cy": ("cy",), "both": ("cy", "en")}
POSTER_LEAD = N_(
    "Tell us what matters here: report a repair, give feedback, join events and get local "
    "news, on Telegram."
)
POSTER_STEPS = (
    N_("Point your phone's camera at the code."),
    N_("Tap the link: Telegram opens our chat."),
    N_("Press {start}. {name} is already chosen for you."),
)


def poster_words(languages: tuple[str, ...], area_name: str) -> dict[str, Any]:
    """The poster's lead in each language, and each step in each language, Welsh first
    (Telegram's Start button is called Start in both)."""
    says = [(language, gettext_for(language)) for language in languages]
    start = Markup("<strong>Start</strong>")

    def step(message: str, _: Gettext) -> Markup:
        return escape(_(message)).format(start=start, name=area_name)

    return {
        "languages": languages,
        "leads": [(language, _(POSTER_LEAD)) for language, _ in says],
        "steps": [[(language, step(text, _)) for language, _ in says] for text in POSTER_STEPS],
    }


async def _neighbourhoods_page(
    request: web.Request, failure: Failure | None = None
) -> web.StreamResponse:
    username = bot_username(request)
    async with request.app[SESSIONS]() as db:
        areas = await residents.all_listed(db, Neighbourhood)
        counts = await residents.residents_by_neighbourhood(db)
    rows = [
        {"area": a, "link": deep_link(username, a.code), "residents": counts.get(a.id, 0)}
        for a in areas
    ]
    context = {
        "areas": rows,
        "username": username,
        "tenures": tenure_choices(),
        "default_tenure": residents.DEFAULT_TENURE,
        "tenure_saved": request.query.get("done") == "tenure" and failure is None,
    }
    return render_list(request, "neighbourhoods.html", context, failure)


@access("admin")
async def neighbourhoods_page(request: web.Request) -> web.StreamResponse:
    """Every neighbourhood with its deep link, poster, residents count and actions."""
    return await _neighbourhoods_page(request)


@access("admin")
@form_action(_neighbourhoods_page)
async def neighbourhood_add(request: web.Request, form: Form) -> web.Response:
    """Add a neighbourhood (name and deep-link code; audited)."""
    actor = user_actor(current_user(request))
    async with request.app[SESSIONS].begin() as db:
        await residents.add_neighbourhood(
            db, str(form.get("code", "")), str(form.get("name", "")), actor=actor
        )
    return see_other("/neighbourhoods?done=added")


@access("admin")
@form_action(refused_in_a_row(_neighbourhoods_page))
async def neighbourhood_rename(request: web.Request, form: Form) -> web.Response:
    """Rename a neighbourhood (its code, and so its posters, stay the same)."""
    actor = user_actor(current_user(request))
    async with request.app[SESSIONS].begin() as db:
        area = await listed_or_404(db, Neighbourhood, request, "neighbourhood_id")
        await residents.rename_listed(db, area, str(form.get("name", "")), actor=actor)
    return see_other("/neighbourhoods?done=renamed")


@access("admin")
@form_action(refused_in_a_row(_neighbourhoods_page))
async def neighbourhood_active(request: web.Request, form: Form) -> web.Response:
    """Take a neighbourhood off the list or put it back; its residents keep it either way."""
    active = form.get("active") == "yes"
    async with request.app[SESSIONS].begin() as db:
        area = await listed_or_404(db, Neighbourhood, request, "neighbourhood_id")
        await residents.set_listed_active(db, area, active, actor=user_actor(current_user(request)))
    return see_other("/neighbourhoods?done=" + ("reactivated" if active else "deactivated"))


@access("admin")
@form_action(refused_in_a_row(_neighbourhoods_page))
async def neighbourhood_england(request: web.Request, form: Form) -> web.Response:
    """Say whether the neighbourhood's homes are in England (Awaab's Law applies there)."""
    in_england = form.get("in_england") == "yes"
    async with request.app[SESSIONS].begin() as db:
        area = await listed_or_404(db, Neighbourhood, request, "neighbourhood_id")
        await residents.set_in_england(
            db, area, in_england, actor=user_actor(current_user(request))
        )
    return see_other("/neighbourhoods?done=england")


@access("admin")
@form_action(refused_in_a_row(_neighbourhoods_page))
async def neighbourhood_tenure(request: web.Request, form: Form) -> web.Response:
    """Set the tenure of the neighbourhood's homes for the TSM survey: LCRA and LCHO are
    surveyed apart, "none" not at all (docs/regulation-tsm.md §9 item 9)."""
    tenure = str(form.get("tenure", ""))
    async with request.app[SESSIONS].begin() as db:
        area = await listed_or_404(db, Neighbourhood, request, "neighbourhood_id")
        await residents.set_neighbourhood_tenure(
            db, area, tenure, actor=user_actor(current_user(request))
        )
    return see_other("/neighbourhoods?done=tenure")


@access("admin")
async def neighbourhood_poster(request: web.Request) -> web.StreamResponse:
    """A printable A4 poster: the neighbourhood's name, a QR code of its deep link, steps."""
    async with request.app[SESSIONS]() as db:
        area = await listed_or_404(db, Neighbourhood, request, "neighbourhood_id")
        settings = await effective_settings(db, request.app[SETTINGS])
    username = bot_username(request)
    link = deep_link(username, area.code)
    chosen = request.query.get("language", "")
    if chosen not in POSTER_LANGUAGES:
        chosen = current_language()
    return render(
        request,
        "poster.html",
        {
            "area": area,
            "link": link,
            "qr": qr_svg(link, scale=10) if username else None,
            "association": settings.association_name,
            "poster_language": chosen,
            "poster": poster_words(POSTER_LANGUAGES[chosen], area.name),
        },
    )
