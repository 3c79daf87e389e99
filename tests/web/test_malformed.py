"""Malformed requests get a 4xx, never a 500 (on each database): forms that cannot be
read, NULs and bytes that are not UTF-8 in queries, headers and cookies, far dates.

(The webhook's malformed bodies are in test_webhook.py.)
"""

from __future__ import annotations

import asyncio

from aiohttp import ClientResponse
from sqlalchemy import select

from bot.models import LoginAttempt, WebSession
from tests.events.web.test_pages import staff_client
from tests.support.web import PASSWORDS, Client, Web, WebFactory, csrf_of, page_token

BOUNDARY = "multipart/form-data; boundary=xyz"
NAMED = b'--xyz\r\nContent-Disposition: form-data; name="title"\r\n'
# Bodies aiohttp cannot read as a form; each was a 500 on a page that reads a form.
UNREADABLE: list[tuple[str, bytes]] = [
    ("multipart/form-data", b"no boundary given"),
    (BOUNDARY, b"no boundary in the body"),
    (BOUNDARY, NAMED + b"\r\ncut off before the end"),
    (BOUNDARY, b"--xyz\r\nContent-Disposition: form-data\r\n\r\nno name\r\n--xyz--\r\n"),
    (BOUNDARY, b"--xyz\r\nnot a header\r\n\r\nabc\r\n--xyz--\r\n"),
    (BOUNDARY, NAMED + b"Content-Type: text/plain; charset=nonsense\r\n\r\nabc\r\n--xyz--\r\n"),
    (BOUNDARY, NAMED + b"Content-Transfer-Encoding: rot13\r\n\r\nabc\r\n--xyz--\r\n"),
    (BOUNDARY, NAMED + b"Content-Encoding: gzip\r\n\r\nnot gzip\r\n--xyz--\r\n"),
    (
        BOUNDARY,
        b"--xyz\r\nContent-Type: multipart/mixed; boundary=in\r\n"
        b'Content-Disposition: form-data; name="t"\r\n\r\n--in\r\n\r\nx\r\n--in--\r\n--xyz--\r\n',
    ),
    ("application/x-www-form-urlencoded; charset=nonsense", b"title=abc"),
]


async def _post(client: Client, path: str, content_type: str, body: bytes, token: str) -> int:
    response = await client.post(
        path,
        data=body,
        headers={"Content-Type": content_type, "X-CSRF-Token": token},
        allow_redirects=False,
    )
    return response.status


async def test_a_form_that_cannot_be_read_is_a_4xx(web: Web, neighbourhoods: None) -> None:
    client = await staff_client(web)
    token = await page_token(client, "/events")
    for path in ("/events/new", "/account/password", "/login"):
        for content_type, body in UNREADABLE:
            # With the CSRF token in a header the page reads the form alone; without it,
            # the CSRF check reads the form first.
            for given in (token, ""):
                status = await _post(client, path, content_type, body, given)
                assert 400 <= status < 500, (path, content_type, body, given)
    # What aiohttp cannot read at all is a plain 400, before anything is checked.
    assert await _post(client, "/events/new", *UNREADABLE[1], token) == 400
    assert await _post(client, "/events/new", *UNREADABLE[1], "") == 400
    # A readable form still gets its usual answer (a wrong token: 403).
    assert await _post(client, "/events/new", BOUNDARY, b"--xyz--\r\n", "wrong") == 403


async def test_a_nul_in_the_audit_filters_is_a_400_and_far_dates_are_no_bound(
    web_factory: WebFactory,
) -> None:
    for zone in ("Pacific/Auckland", "America/New_York"):  # either side of UTC
        web = await web_factory(timezone=zone)
        admin = await web.logged_in("admin", f"admin-{zone[:4].lower()}")
        for query in ("actor=%00", "action=dashboard.%00login", "actor=a%0Ab"):
            response = await admin.get(f"/admin/audit?{query}")
            assert response.status == 400, (zone, query)
        for query in ("from=0001-01-01", "to=9999-12-31", "from=0001-01-01&to=9999-12-31"):
            response = await admin.get(f"/admin/audit?{query}")
            assert response.status == 200, (zone, query)
            assert "logged in to the dashboard" in await response.text(), (zone, query)
        early = await admin.get("/admin/audit?to=0001-01-01")
        assert early.status == 200 and "Nothing matches." in await early.text()


# ----- headers, cookies and names that no database can store -------------------------------------


async def _raw(web: Web, head: bytes, body: bytes = b"") -> bytes:
    """Send a request as bytes (a client library would refuse to send what is not UTF-8);
    its status line."""
    reader, writer = await asyncio.open_connection(web.server.host, web.server.port)
    length = f"Content-Length: {len(body)}\r\n".encode()
    writer.write(head + length + b"Connection: close\r\n\r\n" + body)
    await writer.drain()
    status = await reader.readline()
    writer.close()
    await writer.wait_closed()
    return status.strip()


async def test_bytes_that_are_not_utf8_in_headers_and_cookies_are_not_a_500(web: Web) -> None:
    await web.user("viewer", "vic")
    client = await web.client()
    token = csrf_of(await (await client.get("/login")).text())
    login_cookie = next(iter(client.session.cookie_jar))
    cookie = f"Cookie: {login_cookie.key}={login_cookie.value}\r\n".encode()
    form = f"csrf_token={token}&username=vic&password={PASSWORDS['viewer']}".replace(" ", "+")
    head = b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
    logged_in = await _raw(web, head + cookie + b"User-Agent: \xff\xfe Browser\r\n", form.encode())
    assert logged_in == b"HTTP/1.1 303 See Other"
    async with web.sessions() as db:
        agents = (await db.scalars(select(WebSession.user_agent))).all()
    assert agents == ["\ufffd\ufffd Browser"]

    # A cookie that is not UTF-8 is no session and no login form token.
    for bad in (b"doorstep_session=\xff\xfe", b"doorstep_login=\xff" + b"x" * 40):
        home = await _raw(web, b"GET / HTTP/1.1\r\nHost: x\r\nCookie: " + bad + b"\r\n")
        assert home == b"HTTP/1.1 303 See Other", bad
        form_page = await _raw(web, b"GET /login HTTP/1.1\r\nHost: x\r\nCookie: " + bad + b"\r\n")
        assert form_page == b"HTTP/1.1 200 OK", bad
    # A CSRF header that is not UTF-8 is a wrong token.
    viewer = await web.client()
    await web.login(viewer, "vic", PASSWORDS["viewer"])
    session = next(c for c in viewer.session.cookie_jar if c.key == "doorstep_session")
    logout = await _raw(
        web,
        b"POST /logout HTTP/1.1\r\nHost: x\r\nX-CSRF-Token: \xff\xfe\r\n"
        + f"Cookie: doorstep_session={session.value}\r\n".encode(),
    )
    assert logout == b"HTTP/1.1 403 Forbidden"


async def test_a_username_with_a_nul_is_a_wrong_login(web: Web) -> None:
    await web.user("viewer", "vic")
    client = await web.client()
    for name in ("vic\x00", "\x00", "v\x00ic"):
        response: ClientResponse = await web.login(client, name, PASSWORDS["viewer"])
        assert response.status == 401, repr(name)
    async with web.sessions() as db:
        names = set((await db.scalars(select(LoginAttempt.username))).all())
    assert names == {"vic\ufffd", "\ufffd", "v\ufffdic"}
