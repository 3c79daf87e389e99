"""Static files cannot reach outside their folder; `doorstep admin create` from the shell."""

from __future__ import annotations

import asyncio
import subprocess

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.accounts.passwords import verify_password
from bot.models import AuditEntry, DashboardUser
from tests.support.web import PASSWORDS, Web
from tests.test_cli import doorstep

TRAVERSALS = [
    "/static/../bot/config.py",
    "/static/../config.py",
    "/static/%2e%2e/config.py",
    "/static/%2e%2e/%2e%2e/bot/config.py",
    "/static/..%2fconfig.py",
    "/static/..%2f..%2fbot%2fconfig.py",
    "/static/%252e%252e/config.py",
    "/static/..\\config.py",
    "/static/..%5cconfig.py",
    "/static//etc/passwd",
    "/static/%2fetc%2fpasswd",
    "/static/templates/base.html",
    "/static/../templates/base.html",
]


async def raw_get(port: int, path: str) -> tuple[int, bytes]:
    """Send the path exactly as written (no client-side normalising of ..)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
    await writer.drain()
    data = await reader.read()
    writer.close()
    status = int(data.split(b" ", 2)[1])
    return status, data


async def test_static_files_are_served_and_traversal_fails(web: Web) -> None:
    port = web.server.port
    assert port is not None
    status, body = await raw_get(port, "/static/dashboard.css")
    assert status == 200 and b"Doorstep dashboard" in body
    for path in TRAVERSALS:
        status, body = await raw_get(port, path)
        assert status in (400, 403, 404), (path, status)
        assert b"BaseSettings" not in body and b"root:" not in body and b"{%" not in body, path


def _create(database_url: str, *args: str, stdin: str) -> subprocess.CompletedProcess[str]:
    import os
    import sys

    clean = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_"))}
    return subprocess.run(
        [sys.executable, "-m", "bot", "admin", "create", *args],
        env={**clean, "DATABASE_URL": database_url},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


async def test_admin_create_from_the_command_line(
    database_url: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async def create(*args: str, stdin: str) -> subprocess.CompletedProcess[str]:
        return await asyncio.to_thread(_create, database_url, *args, stdin=stdin)

    made = await create("--username", "Priya", "--password-stdin", stdin=PASSWORDS["admin"] + "\n")
    assert made.returncode == 0, made.stderr
    assert made.stdout.startswith("Created admin priya.")
    assert PASSWORDS["admin"] not in made.stdout + made.stderr

    for args, stdin, message in [
        (["--username", "omar"], "short\n", "The password must be at least 12 characters."),
        (
            ["--username", "omar"],
            "password1234\n",
            "That password is one of the most common passwords; choose another.",
        ),
        (
            ["--username", "PRIYA"],
            PASSWORDS["staff"] + "\n",
            "There is already a user called priya.",
        ),
        (
            ["--username", "bad name!"],
            PASSWORDS["staff"] + "\n",
            "The username may use letters, digits and . _ - @ only.",
        ),
        (["--username", "omar"], "", "No password on standard input."),
    ]:
        refused = await create(*args, "--password-stdin", stdin=stdin)
        assert refused.returncode == 2, refused.stdout
        assert refused.stderr.strip() == message
        assert "Traceback" not in refused.stderr

    viewer = await create(
        "--username", "vic", "--role", "viewer", "--password-stdin", stdin=PASSWORDS["viewer"]
    )
    assert viewer.returncode == 0, viewer.stderr
    async with sessions() as db:
        users = {u.username: u for u in (await db.scalars(select(DashboardUser))).all()}
        audit = (await db.scalars(select(AuditEntry).order_by(AuditEntry.id))).all()
    assert set(users) == {"priya", "vic"}
    assert users["priya"].role == "admin" and users["vic"].role == "viewer"
    assert verify_password(users["priya"].password_hash, PASSWORDS["admin"])
    assert [(a.actor, a.action) for a in audit] == [("cli", "dashboard.user_created")] * 2


def test_admin_create_explains_itself() -> None:
    shown = doorstep("admin", "create", "--help")
    assert shown.returncode == 0
    text = " ".join(shown.stdout.split())
    for word in ["--username", "--password-stdin", "12 characters", "admin", "staff", "viewer"]:
        assert word in text
