"""The events pages in Welsh for a Welsh-speaking staff member (issue 13): the list, the
form with a refused input explained in Welsh beside its field (the form's own checks and
the service's rules alike), an event's page with its charts, and the question before
calling it off, with its refusal. Residents' words (titles, places) stay as typed."""

from __future__ import annotations

import html
import re
from typing import Any

from sqlalchemy import update

from bot.models import DashboardUser
from tests.events.web.test_pages import (
    add_event,
    events_in_db,
    good_form,
    into_the_past,
    post_form,
    sign_up,
    staff_client,
)
from tests.feedback.web.test_inbox import add_resident
from tests.support.charts import chart_on
from tests.support.events import sessions_of
from tests.support.web import Web, page_token


async def welsh_staff(web: Web) -> Any:
    """A staff member's dashboard client, its account set to Welsh."""
    client = await staff_client(web, name="gwen")
    async with sessions_of(web).begin() as db:
        await db.execute(
            update(DashboardUser).where(DashboardUser.username == "gwen").values(language="cy")
        )
    return client


async def page_of(client: Any, path: str) -> str:
    response = await client.get(path)
    assert response.status == 200, path
    return html.unescape(await response.text())


def field_error(body: str, field: str) -> str:
    """The message shown beside one field of the event form ("" when there is none)."""
    found = re.search(rf'<span class="field-error" id="{field}-error">([^<]*)</span>', body)
    return html.unescape(found.group(1)) if found else ""


async def test_the_list_is_in_welsh_and_the_events_as_typed(web: Web, neighbourhoods: None) -> None:
    await add_event(web, title="Casglu sbwriel")
    client = await welsh_staff(web)
    page = await page_of(client, "/events")
    assert 'lang="cy"' in page
    for welsh in ("Digwyddiadau", "I ddod", "Digwyddiad newydd", "Ar agor i gofrestru", "Statws"):
        assert welsh in page, welsh
    assert "Casglu sbwriel" in page and "Oakfield green" in page  # as typed
    for english in ("Upcoming", "New event", "Open for sign-up", "Times are"):
        assert english not in page, english

    past = await page_of(client, "/events?show=past")
    assert "Does dim digwyddiadau a fu." in past and "No past events" not in past


async def test_a_bad_input_is_refused_in_welsh_beside_its_field(
    web: Web, neighbourhoods: None
) -> None:
    client = await welsh_staff(web)
    form = await page_of(client, "/events/new")
    assert "Teitl" in form and "Rhagolwg" in form and "Pin map" in form
    assert "Largest party one resident may book for" not in form

    typed = good_form(latitude="north", longitude="-0.1", title="Bore coffi")
    refused = await post_form(client, "/events/new", typed)
    assert refused.status == 400
    body = html.unescape(await refused.text())
    assert field_error(body, "latitude") == "Rhowch y lledred fel rhif, fel 51.50135."
    assert "Cywirwch yr hyn sydd wedi'i nodi isod." in body
    assert "as a number" not in body and "Please fix" not in body
    assert 'name="title" value="Bore coffi"' in body  # nothing typed is lost

    # A refusal by the service's rules, in Welsh, is still put beside the field it is about.
    too_small = await post_form(client, "/events/new", good_form(capacity="2", max_party="4"))
    assert too_small.status == 400
    beside = field_error(html.unescape(await too_small.text()), "capacity")
    assert beside.startswith("Mae nifer y lleoedd (2) yn llai na'r grŵp mwyaf (4)."), beside
    assert await events_in_db(web) == []


async def test_an_events_page_and_its_charts_are_in_welsh(web: Web, neighbourhoods: None) -> None:
    event_id = await add_event(web, capacity=4, max_party=2)
    await sign_up(web, event_id, await add_resident(web, None, "Ann"), 2)
    client = await welsh_staff(web)
    page = await page_of(client, f"/events/{event_id}?done=marked")
    places = chart_on(page, "places")
    assert places.title == "Lleoedd (pobl)"
    assert places.rows == [("Wedi archebu", "2"), ("Rhestr aros", "0"), ("Lleoedd ar ôl", "2")]
    assert "Presenoldeb wedi'i gadw." in page  # the notice
    assert "2 o 4 o bobl (1 cofrestriad)" in page and "Golygu'r digwyddiad" in page
    for english in ("Places (people)", "At a glance", "Edit the event", "Nobody is waiting."):
        assert english not in page, english

    await into_the_past(web, event_id)
    started = await page_of(client, f"/events/{event_id}")
    assert chart_on(started, "came").title == "Pwy ddaeth (pobl)"
    assert "Cadw'r cofnod terfynol" in started and "Save the closing record" not in started


async def test_calling_an_event_off_asks_and_refuses_in_welsh(
    web: Web, neighbourhoods: None
) -> None:
    event_id = await add_event(web)
    client = await welsh_staff(web)
    ask = await page_of(client, f"/events/{event_id}/cancel")
    assert "Ni fydd yn digwydd." in ask and "Does dim modd dadwneud hyn." in ask
    assert "will each be told once" not in ask

    token = await page_token(client, "/events")
    refused = await client.post(f"/events/{event_id}/cancel", data={"csrf_token": token})
    assert refused.status == 400
    body = html.unescape(await refused.text())
    assert "Ticiwch y blwch i gadarnhau bod y digwyddiad wedi'i ganslo." in body
    assert "Tick the box" not in body
    [event] = await events_in_db(web)
    assert event.status != "cancelled"
