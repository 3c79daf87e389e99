"""The announcements, residents, neighbourhoods and topics pages for someone who chose Welsh
(issue 13): every page, notice, refusal and chart in Welsh, the downloadable CSV still in
English (machine-read), and the residents' poster in the language the admin chooses.
"""

from __future__ import annotations

import csv
import io
import re
from html import unescape

from bot.broadcasts.report import CSV_HEADER
from bot.web.app import COMPONENTS
from tests.broadcasts.web.test_announcements import form, preview
from tests.support.broadcasts import (
    Client,
    Places,
    add_resident,
    confirm_on_dashboard,
    draft_id_of,
    sessions_of,
    staff_client,
)
from tests.support.charts import chart_on
from tests.support.web import Web, WebFactory, page_token


async def in_welsh(client: Client) -> None:
    """Choose Welsh on the Account page, as a person does."""
    token = await page_token(client)
    chosen = await client.post("/account/language", data={"csrf_token": token, "language": "cy"})
    assert chosen.status == 200


async def text_of(client: Client, path: str) -> tuple[int, str]:
    response = await client.get(path)
    return response.status, unescape(await response.text())


async def test_a_welsh_speaking_officer_writes_previews_sends_and_reads_the_report(
    web_factory: WebFactory, places: Places
) -> None:
    # No quiet hours, so the send is not held whatever the hour the test runs at.
    web = await web_factory(quiet_hours_start="00:00", quiet_hours_end="00:00")
    news = places.topics["news"]
    for chat in (640_001, 640_002):
        await add_resident(sessions_of(web), chat, area=places.riverside, topics=[news])
    client, _member = await staff_client(web)
    await in_welsh(client)

    status, page = await text_of(client, "/announcements")
    assert status == 200 and 'lang="cy"' in page
    assert "Ysgrifennu cyhoeddiad" in page and "Does dim wedi'i drefnu." in page
    assert "Write an announcement" not in page and "Nothing is scheduled." not in page

    status, page = await text_of(client, "/announcements/new")
    assert "Y cyhoeddiad" in page and "Dydd Llun" in page and "Anfon nawr" in page
    assert "Send now" not in page and "Monday" not in page and "None ticked" not in page

    # Refused: the form's own check, and the announcements service's, both in Welsh; what
    # was typed is kept.
    status, page = await preview(client, text="Biniau", when="now", area="99999")
    page = unescape(page)
    assert status == 400 and "Does dim cymdogaeth o'r fath i'w dewis." in page
    assert "no such neighbourhood" not in page and ">Biniau</textarea>" in page
    status, page = await preview(client, text="   ", when="now")
    page = unescape(page)
    assert status == 400 and "Roedd y neges honno'n wag. Teipiwch y cyhoeddiad." in page
    assert "That message was empty" not in page

    status, page = await preview(client, text="Biniau ddydd Iau", topic=news, when="now")
    assert status == 200
    page = unescape(page)
    assert "Cadarnhau ac anfon" in page and "Fel y bydd preswylwyr yn ei weld" in page
    assert "Confirm and send" not in page and "As residents will see it" not in page
    assert "Newyddion" in page  # the topic by its Welsh name
    draft = draft_id_of(page)

    assert await confirm_on_dashboard(client, draft) == (303, f"/announcements/{draft}?done=sent")
    status, page = await text_of(client, f"/announcements/{draft}?done=sent")
    assert "Wedi'i anfon. Mae ar ei ffordd i'r preswylwyr" in page
    assert "Adroddiad dosbarthu" in page and "2 o dderbynwyr" in page and "yn aros 2" in page
    assert chart_on(page, "delivery").title == "Dosbarthu i 2 o dderbynwyr"
    assert "Delivery report" not in page and "Delivery to" not in page and "waiting 2" not in page

    csv_file = await client.get(f"/announcements/{draft}/deliveries.csv")
    rows = list(csv.reader(io.StringIO((await csv_file.text()).lstrip("\ufeff"))))
    assert rows[0] == list(CSV_HEADER)  # a data file for machines: English

    status, page = await text_of(client, "/announcements")
    assert "wedi'i anfon" in page and "2 o dderbynwyr" in page


async def test_cancelling_without_the_tick_is_refused_in_welsh(web: Web, places: Places) -> None:
    client, _member = await staff_client(web)
    await in_welsh(client)
    status, page = await preview(
        client,
        text="Cyfarfod",
        topic=places.topics["news"],
        when="weekly",
        day=["mon", "thu"],
        weekly_time="09:00",
    )
    assert status == 200 and "bob Dydd Llun, Dydd Iau am 09:00 (nesaf: " in unescape(page)
    draft = draft_id_of(page)
    assert await confirm_on_dashboard(client, draft) == (
        303,
        f"/announcements/{draft}?done=scheduled",
    )
    token = await page_token(client, f"/announcements/{draft}")
    refused = await client.post(f"/announcements/{draft}/cancel", data=form(token))
    page = unescape(await refused.text())
    assert refused.status == 400
    assert "Ticiwch y blwch i gadarnhau eich bod am ei ganslo." in page
    assert "Tick the box" not in page and "Canslo'r cyhoeddiad hwn" in page


async def test_a_welsh_admin_reads_residents_neighbourhoods_and_topics(
    web: Web, places: Places
) -> None:
    await add_resident(sessions_of(web), 641_001, area=places.riverside, topics=[], language="cy")
    admin = await web.logged_in("admin", "ann")
    await in_welsh(admin)

    status, page = await text_of(admin, "/residents")
    assert status == 200
    assert "1 preswylydd." in page and "Cymraeg" in page and "gweithredol" in page
    assert "Preswylydd #" in page and "Dileu data'r preswylydd hwn" in page
    assert "Resident #" not in page and "Welsh" not in page and "Erase this" not in page
    status, page = await text_of(admin, "/residents?page=abc")
    assert status == 400 and "Rhaid i page fod yn rhif cyfan o 1 i 100000." in page

    status, page = await text_of(admin, "/neighbourhoods")
    assert status == 200 and "Ychwanegu cymdogaeth" in page and "Cartrefi yn Lloegr" in page
    assert "Enw Riverside Estate" in page  # a row's name field, for a screen reader
    assert "Add neighbourhood" not in page and "Homes in England" not in page
    token = await page_token(admin, "/neighbourhoods")
    refused = await admin.post(
        "/neighbourhoods", data={"csrf_token": token, "code": "riverside", "name": "Glan yr Afon"}
    )
    page = unescape(await refused.text())
    assert refused.status == 400 and "Mae cymdogaeth â'r cod hwnnw'n bodoli'n barod." in page
    assert 'value="Glan yr Afon"' in page and "already exists" not in page

    status, page = await text_of(admin, "/topics")
    assert status == 200 and "Ychwanegu pwnc" in page and "Enw Cymraeg News" in page
    assert "Add topic" not in page


async def test_the_poster_is_printed_in_the_language_the_admin_chooses(
    web: Web, places: Places
) -> None:
    web.app[COMPONENTS].bot_username = "DoorstepTestBot"
    admin = await web.logged_in("admin", "ann")
    await in_welsh(admin)
    poster = f"/neighbourhoods/{places.riverside}/poster"
    welsh_step = "Pwyntiwch gamera eich ffôn at y cod."
    english_step = "Point your phone's camera at the code."

    status, page = await text_of(admin, poster)  # their dashboard's language at first
    assert status == 200 and welsh_step in page and english_step not in page
    assert "Mae Riverside Estate wedi'i dewis i chi'n barod." in page

    # The QR code scales to the size the stylesheet gives it (a fixed-size SVG was cropped).
    assert re.search(r'<div class="poster-qr"><svg viewBox="0 0 \d+ \d+"', page)
    assert 'class="poster bilingual"' not in page

    status, page = await text_of(admin, poster + "?language=both")
    assert welsh_step in page and english_step in page
    assert page.index(welsh_step) < page.index(english_step)  # Welsh first
    assert f'<span lang="en">{english_step}</span>' in page
    assert "Riverside Estate is already chosen for you." in page
    assert 'class="poster bilingual"' in page  # printed smaller: still one A4 page

    status, page = await text_of(admin, poster + "?language=en")
    assert english_step in page and welsh_step not in page
    assert "Iaith y poster" in page  # the controls around it stay in the admin's language

    status, page = await text_of(admin, poster + "?language=xx")  # not a choice: the default
    assert status == 200 and welsh_step in page and english_step not in page
