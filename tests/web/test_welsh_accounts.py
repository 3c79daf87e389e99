"""The login, account, users, audit, erasure and error pages in Welsh (issue 13): for a person
whose dashboard language is Welsh (or, before logging in, whose browser asks for Welsh)
every heading, label, button, sentence of the audit log and refusal of the account rules
is Welsh, while names, usernames and the form values the code reads stay as they are.
"""

from __future__ import annotations

import re
from html import unescape
from typing import Any

from aiohttp.test_utils import TestClient
from sqlalchemy import select, update

from bot.models import DashboardUser
from tests.support.web import PASSWORDS, Web, csrf_of, page_token

Client = TestClient[Any, Any]
WELSH_BROWSER = {"Accept-Language": "cy-GB,cy;q=0.9,en;q=0.5"}


async def _welsh(web: Web, role: str, username: str) -> Client:
    """A client logged in as a new user of ``role`` whose dashboard language is Welsh."""
    client = await web.logged_in(role, username)
    async with web.sessions.begin() as db:
        await db.execute(
            update(DashboardUser).where(DashboardUser.username == username).values(language="cy")
        )
    return client


async def _text(client: Client, path: str, status: int = 200) -> str:
    response = await client.get(path)
    assert response.status == status, path
    return unescape(await response.text())


def _absent(page: str, *english: str) -> None:
    for words in english:
        assert words not in page, f"left in English: {words!r}"


async def test_the_login_page_and_its_refusal_are_welsh_for_a_browser_asking_for_welsh(
    web: Web,
) -> None:
    client = await web.client()
    page = unescape(await (await client.get("/login", headers=WELSH_BROWSER)).text())
    assert 'lang="cy"' in page
    for welsh in ("Mewngofnodi", "Enw defnyddiwr", "Cyfrinair", "Cod dau gam", "codau adfer"):
        assert welsh in page
    _absent(page, "Username", "Password", "Two-step code", "recovery codes")

    wrong = await client.post(
        "/login",
        data={"csrf_token": csrf_of(page), "username": "nobody", "password": "not it"},
        headers=WELSH_BROWSER,
    )
    assert wrong.status == 401
    answer = unescape(await wrong.text())
    assert "Enw defnyddiwr, cyfrinair neu god anghywir." in answer
    _absent(answer, "Wrong username")

    # The account rules' own refusal (too many wrong guesses) is Welsh too.
    for _guess in range(4):
        await client.post(
            "/login",
            data={"csrf_token": csrf_of(page), "username": "nobody", "password": "not it"},
            headers=WELSH_BROWSER,
        )
    throttled = await client.post(
        "/login",
        data={"csrf_token": csrf_of(page), "username": "nobody", "password": "not it"},
        headers=WELSH_BROWSER,
    )
    assert throttled.status == 429
    assert "Gormod o ymdrechion aflwyddiannus i fewngofnodi." in unescape(await throttled.text())


async def test_the_account_page_is_welsh(web: Web) -> None:
    client = await _welsh(web, "staff", "sam")
    page = await _text(client, "/account")
    for welsh in (
        "Eich cyfrif",
        "Newid cyfrinair",
        "Cyfrinair presennol",
        "(o leiaf 12 nod; mae ychydig eiriau digyswllt yn gwneud un da)",
        "Mewngofnodi dau gam",
        "Gosod mewngofnodi dau gam",
        "Allgofnodi ym mhobman",
    ):
        assert welsh in page
    _absent(page, "Your account", "Change password", "Two-step login is off", "Sessions")


async def test_a_refusal_of_the_account_rules_is_welsh_and_nothing_typed_is_lost(
    web: Web,
) -> None:
    admin = await _welsh(web, "admin", "alex")
    token = await page_token(admin, "/admin/users")
    refused = await admin.post(
        "/admin/users",
        data={"csrf_token": token, "username": "newperson", "password": "short", "role": "staff"},
    )
    assert refused.status == 400
    page = unescape(await refused.text())
    assert "Rhaid i'r cyfrinair fod yn o leiaf 12 nod." in page
    assert 'value="newperson"' in page  # what was typed is kept (the password never is)
    _absent(page, "The password must be")
    async with web.sessions() as db:
        assert (
            await db.scalar(select(DashboardUser).where(DashboardUser.username == "newperson"))
            is None
        )

    mismatch = await admin.post(
        "/account/password",
        data={
            "csrf_token": token,
            "current_password": PASSWORDS["admin"],
            "new_password": "a long enough new passphrase",
            "new_password_again": "something else entirely",
        },
    )
    assert mismatch.status == 400
    assert "Nid yw'r cyfrineiriau newydd yr un fath." in unescape(await mismatch.text())


async def test_the_users_page_and_a_reset_page_are_welsh(web: Web) -> None:
    admin = await _welsh(web, "admin", "alex")
    omar = await web.user("viewer", "omar")
    page = await _text(admin, "/admin/users")
    for welsh in (
        "Defnyddwyr y dangosfwrdd",
        "Ychwanegu defnyddiwr",
        "gweinyddwr (chi)",
        "Rôl omar",
        "Ailosod mewngofnodi omar",
        "heb ei gysylltu",
        ">gwyliwr</option>",
    ):
        assert welsh in page
    # The values the form sends stay the code's own.
    assert '<option value="viewer" selected>gwyliwr</option>' in page
    _absent(page, "Dashboard users", "Add a user", "not linked", "Deactivate")

    reset = await _text(admin, f"/admin/users/{omar.id}/reset")
    for welsh in ("Ailosod mewngofnodi omar", "Ailosod eu cyfrinair", "Eich cyfrinair chi"):
        assert welsh in reset
    _absent(reset, "Reset their password", "Your own password")


async def test_the_audit_log_reads_in_welsh_sentences_and_a_bad_filter_is_refused_in_welsh(
    web: Web,
) -> None:
    admin = await _welsh(web, "admin", "alex")
    omar = await web.user("viewer", "omar")
    token = await page_token(admin, "/admin/users")
    changed = await admin.post(
        f"/admin/users/{omar.id}/role", data={"csrf_token": token, "role": "staff"}
    )
    assert changed.status == 200  # followed to the users page

    page = await _text(admin, "/admin/audit")
    cells = re.findall(r'<td data-label="Beth ddigwyddodd">(.*?)</td>', page, re.DOTALL)
    said = [re.sub(r"<[^>]+>", "", cell) for cell in cells]
    assert "Gwnaeth alex newid rôl “omar” o gwyliwr i staff." in said
    assert "Gwnaeth alex fewngofnodi i'r dangosfwrdd." in said
    for welsh in ("Log archwilio", "Unrhyw weithred", "Mewngofnodi", "Cyfrifon y dangosfwrdd"):
        assert welsh in page
    _absent(page, "logged in to the dashboard", "changed the role", "Any action", "What happened")

    bad = await admin.get("/admin/audit", params={"from": "yesterday"})
    assert bad.status == 400
    refused = unescape(await bad.text())
    assert "Mae problem" in refused
    assert "Rhaid i O fod yn ddyddiad go iawn, fel 2026-12-05." in refused
    _absent(refused, "must be a real date", "There is a problem")


async def test_erasure_refusal_not_found_and_not_allowed_pages_are_welsh(web: Web) -> None:
    admin = await _welsh(web, "admin", "alex")
    token = await page_token(admin, "/admin/users")
    unticked = await admin.post("/residents/1/erase", data={"csrf_token": token})
    assert unticked.status == 400
    page = unescape(await unticked.text())
    assert "Ticiwch y blwch i gadarnhau bod data'r preswylydd hwn i'w dileu." in page
    assert "Does dim wedi'i ddileu." in page and "Dileu data preswylydd" in page
    _absent(page, "Tick the box", "Nothing has been erased")

    missing = await _text(admin, "/no-such-page", status=404)
    assert "Heb ddod o hyd i'r dudalen" in missing and 'lang="cy"' in missing
    _absent(missing, "Page not found")

    viewer = await _welsh(web, "viewer", "val")
    refused = await _text(viewer, "/admin/users", status=403)
    assert "Dim caniatâd" in refused and 'lang="cy"' in refused
    assert "Nid yw eich rôl yn caniatáu'r dudalen hon." in refused
    _absent(refused, "Not allowed", "Your role does not allow")
