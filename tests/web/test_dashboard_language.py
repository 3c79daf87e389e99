"""The dashboard in English or Welsh, each person choosing theirs (issue 13).

The choice is kept with the account (every device, every session), the confirmation comes
in the new language, a service's refusal is shown in it, someone not logged in gets what
their browser asks for, and a choice that is neither language is refused without a change.
"""

from __future__ import annotations

from html import unescape

from sqlalchemy import select

from bot.models import DashboardUser
from tests.support.web import PASSWORDS, Web, page_token

WELSH_NOTICE = "Bydd y dangosfwrdd nawr yn yr iaith a ddewisoch."


async def _language_of(web: Web, username: str) -> str:
    async with web.sessions() as db:
        return str(
            await db.scalar(
                select(DashboardUser.language).where(DashboardUser.username == username)
            )
        )


async def test_a_person_chooses_welsh_and_keeps_it_on_every_device(web: Web) -> None:
    client = await web.logged_in("staff", "sam")
    english = await (await client.get("/account")).text()
    assert 'lang="en"' in english and "Save language" in english

    token = await page_token(client)
    chosen = await client.post("/account/language", data={"csrf_token": token, "language": "cy"})
    assert chosen.status == 200
    page = unescape(await chosen.text())
    assert WELSH_NOTICE in page and "Cadw'r iaith" in page and 'lang="cy"' in page
    assert await _language_of(web, "sam") == "cy"

    # Another browser, a new session: still Welsh, whatever that browser asks for.
    other = await web.client()
    logged_in = await web.login(other, "sam", PASSWORDS["staff"])
    assert logged_in.status == 303
    again = await other.get("/account", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert "Cadw'r iaith" in unescape(await again.text())

    back = await client.post(
        "/account/language", data={"csrf_token": token, "language": "en"}, allow_redirects=True
    )
    assert "The dashboard will now be in the language you chose." in await back.text()
    assert await _language_of(web, "sam") == "en"


async def test_a_choice_that_is_neither_language_is_refused_and_changes_nothing(
    web: Web,
) -> None:
    client = await web.logged_in("viewer", "val")
    token = await page_token(client)
    for bad in ("fr", "", "cy\x00", "x" * 5000):
        refused = await client.post(
            "/account/language", data={"csrf_token": token, "language": bad}
        )
        assert refused.status == 400, bad
        assert "Please choose English or Cymraeg." in await refused.text()
    assert await _language_of(web, "val") == "en"


async def test_someone_not_logged_in_gets_the_language_their_browser_asks_for(
    web: Web,
) -> None:
    client = await web.client()
    welsh = await client.get("/login", headers={"Accept-Language": "cy-GB,cy;q=0.9,en;q=0.5"})
    english = await client.get("/login", headers={"Accept-Language": "fr-FR,en;q=0.5"})
    assert 'lang="cy"' in await welsh.text()
    assert 'lang="en"' in await english.text()


async def test_a_refusal_from_a_service_is_in_the_persons_language(web: Web) -> None:
    """A password that is too short: the accounts service's refusal, a catalog msgid."""
    client = await web.logged_in("staff", "sam")
    token = await page_token(client)
    await client.post("/account/language", data={"csrf_token": token, "language": "cy"})
    refused = await client.post(
        "/account/password",
        data={
            "csrf_token": token,
            "current_password": PASSWORDS["staff"],
            "new_password": "short",
            "new_password_again": "short",
        },
    )
    assert refused.status == 400
    body = await refused.text()
    assert "at least" not in body, "the refusal was left in English"


def test_page_text_keeps_apostrophes_and_escapes_markup_and_what_is_put_in() -> None:
    from bot.web.language import page_text, use_language

    use_language("en")
    assert page_text("Erase this resident's data") == "Erase this resident's data"
    assert page_text('<b>"x" & y</b>') == "&lt;b&gt;&#34;x&#34; &amp; y&lt;/b&gt;"
    said = page_text("Hello, {name}").format(name="<script>alert('x')</script>")
    assert said == "Hello, &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"
