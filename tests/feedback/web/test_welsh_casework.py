"""A report's page, its actions and its downloadable record in Welsh for a Welsh-speaking
member of staff (issue 13): the summary and next action with the countdown in Welsh, the
forms' labels, a refusal in Welsh that keeps what was typed, and the record file saying
lang="cy". Residents' words and references stay as typed; English readers are unchanged."""

from __future__ import annotations

import contextvars
import html
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import time_machine
from aiohttp.test_utils import TestClient
from sqlalchemy import update

from bot.feedback.web import display
from bot.models import DashboardUser
from bot.web.language import use_language
from tests.feedback.web.test_casework import complaint, post, staff_client
from tests.support.web import Web

LONDON = ZoneInfo("Europe/London")
# Wednesday 29 April 2026, noon in London: every date on the pages is known.
NOON = datetime(2026, 4, 29, 12, 0, tzinfo=LONDON)


async def welsh(web: Web, username: str) -> None:
    """Set a dashboard account's language to Welsh, as the Account page does."""
    async with web.sessions.begin() as db:
        await db.execute(
            update(DashboardUser).where(DashboardUser.username == username).values(language="cy")
        )


async def text_of(client: TestClient[Any, Any], path: str) -> str:
    response = await client.get(path)
    assert response.status == 200, path
    return html.unescape(await response.text())


def in_language(language: str, function: Any, *args: Any) -> Any:
    """``function(*args)`` answered in ``language``, in a context of its own (no other test
    sees the language)."""

    def run() -> Any:
        use_language(language)
        return function(*args)

    return contextvars.copy_context().run(run)


def test_countdowns_read_in_welsh_and_the_tag_stays_a_msgid() -> None:
    now = datetime(2026, 4, 29, 12, 0, tzinfo=LONDON)
    late = in_language("cy", display.countdown, date(2026, 4, 27), now, LONDON)
    assert (late.words, late.late, late.tag) == (
        "yn hwyr o 2 diwrnod",
        "2 diwrnod yn hwyr",
        "Overdue",
    )
    soon = in_language(
        "cy", display.countdown, datetime(2026, 4, 29, 17, 0, tzinfo=LONDON), now, LONDON
    )
    assert soon.words == "dyledus ymhen 5 awr"
    assert (
        in_language("cy", display.countdown, date(2026, 4, 30), now, LONDON).words
        == "dyledus yfory"
    )
    assert in_language("cy", display.short_day, date(2026, 5, 6), LONDON) == "Mer 6 Mai"
    # English readers: exactly as before.
    assert in_language("en", display.countdown, date(2026, 4, 27), now, LONDON).words == (
        "overdue by 2 days"
    )
    assert in_language("en", display.short_day, date(2026, 5, 6), LONDON) == "Wed 6 May"


@time_machine.travel(NOON, tick=True)
async def test_a_complaints_page_is_in_welsh_and_the_residents_words_as_typed(
    web: Web, neighbourhoods: None
) -> None:
    report, _ = await complaint(web, description="Mae'r drws ffrynt wedi torri")
    _member, gwen = await staff_client(web, "gwen", ["riverside"])
    await welsh(web, "gwen")
    page = await text_of(gwen, f"/feedback/{report.id}")

    assert 'lang="cy"' in page
    for words in (
        "Crynodeb",
        "Gweithred nesaf",
        "Cydnabod erbyn Mer 6 Mai",  # the next action, by the acknowledgement's due day
        "(dyledus ymhen 7 diwrnod)",
        "Cwyn, cam 1 o 2",
        "Cydnabod (y Cod, cam 1)",
        "Ateb y preswylydd",  # the reply form's label
        "Anfon ateb",
        "Cyfraith Awaab",
        "Dosbarthu fel",
        "Perygl brys (gwneud yn ddiogel o fewn 24 awr)",
        "Hanes y statws",
        ">Newydd<",  # the status as a tag
    ):
        assert words in page, words
    assert "Mae'r drws ffrynt wedi torri" in page and report.reference in page
    for english in ("Next action", "Acknowledge by", "due in 7 days", "Send reply", "Summary"):
        assert english not in page, english


@time_machine.travel(NOON, tick=True)
async def test_a_refused_action_is_in_welsh_and_keeps_what_was_typed(
    web: Web, neighbourhoods: None
) -> None:
    report, _ = await complaint(web)
    _member, gwen = await staff_client(web, "gwen", ["riverside"])
    await welsh(web, "gwen")
    url = f"/feedback/{report.id}"

    acknowledged = await post(gwen, f"{url}/acknowledge")
    notice = html.unescape(await acknowledged.text())
    assert "Mae'r adroddiad wedi'i gydnabod." in notice
    assert "Neges i'r preswylydd: " in notice and "The report is acknowledged" not in notice

    # The service's rule: past the longest extension.
    refused = await post(gwen, f"{url}/extend", days="61", reason="Aros am y syrfëwr")
    body = html.unescape(await refused.text())
    assert refused.status == 400
    assert "Mae estyniad yn rhif cyfan o ddiwrnodau gwaith o 1 i 60." in body
    assert ">Aros am y syrfëwr</textarea>" in body and 'value="61"' in body
    assert "whole number of working days" not in body

    # The dashboard's own check: a day that is not a date.
    bad_day = await post(gwen, f"{url}/escalate", handler_id="", asked_on="yfory")
    said = html.unescape(await bad_day.text())
    assert bad_day.status == 400
    assert "Rhowch y diwrnod y gofynnodd y preswylydd fel dyddiad, fel 2026-04-29" in said
    assert "Give the day the resident asked" not in said

    # An empty reply: the service's refusal, in Welsh.
    empty = await post(gwen, f"{url}/reply", text="   ")
    assert empty.status == 400
    assert "Roedd y neges honno'n wag. Teipiwch eich ateb." in html.unescape(await empty.text())


@time_machine.travel(NOON, tick=True)
async def test_the_record_follows_the_language_of_who_downloads_it(
    web: Web, neighbourhoods: None
) -> None:
    report, _ = await complaint(web)
    _member, gwen = await staff_client(web, "gwen", ["riverside"])
    _other, sam = await staff_client(web, "sam", ["riverside"])
    await welsh(web, "gwen")

    record = await text_of(gwen, f"/feedback/{report.id}/record")
    assert '<html lang="cy">' in record
    for words in (
        f"Cofnod cwyn: {report.reference}",
        "Dyddiadau dyledus",
        "Negeseuon gyda'r preswylydd",
        '<td class="running">yn rhedeg</td>',
        "Cydnabod",
    ):
        assert words in record, words
    for english in ("Complaint record", "Due dates", "Thread with the resident"):
        assert english not in record, english

    english_record = await text_of(sam, f"/feedback/{report.id}/record")
    assert '<html lang="en">' in english_record
    assert f"Complaint record: {report.reference}" in english_record
