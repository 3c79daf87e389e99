"""`doorstep staff invite|list|revoke`, run as a command against each database."""

from __future__ import annotations

import asyncio
import hashlib
import re
import subprocess
from datetime import timedelta

from sqlalchemy import select

from bot.models import AuditEntry, StaffInvite, StaffMember
from bot.staff import service as staff_service
from tests.feedback.factories import Sessions
from tests.test_cli import doorstep as run_doorstep


async def cli(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return await asyncio.to_thread(run_doorstep, "staff", *args, env={"DATABASE_URL": database_url})


async def test_invite_list_and_revoke_from_the_command_line(
    database_url: str, sessions: Sessions, neighbourhoods: None
) -> None:
    listed = await cli(database_url, "list")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.startswith("No staff yet.")

    made = await cli(
        database_url, "invite", "--role", "admin", "--name", "Priya Shah", "--days", "3"
    )
    assert made.returncode == 0, made.stderr
    code = made.stdout.splitlines()[1].strip()
    assert re.fullmatch(r"[A-Za-z0-9_-]{22,}", code)
    assert f"/staff {code}" in made.stdout
    assert f"https://t.me/<your_bot>?start=staff-{code}" in made.stdout
    assert "Valid until " in made.stdout and "(Europe/London)" in made.stdout
    async with sessions() as session:
        invite = await session.scalar(select(StaffInvite))
    assert invite is not None and invite.role == "admin" and invite.name == "Priya Shah"
    assert invite.code_hash == hashlib.sha256(code.encode()).hexdigest()
    assert invite.expires_at - invite.created_at == timedelta(days=3)

    async with sessions.begin() as session:
        member = await staff_service.redeem_invite(session, code, 4242, 4242, "Tg")
    covered = await cli(database_url, "neighbourhoods", str(member.id), "riverside")
    assert covered.returncode == 0, covered.stderr
    assert covered.stdout.strip() == f"Staff member {member.id} now covers: Riverside Estate."
    unknown = await cli(database_url, "neighbourhoods", str(member.id), "atlantis")
    assert unknown.returncode == 2
    assert unknown.stderr.strip() == "No neighbourhood has the code atlantis."
    everywhere = await cli(database_url, "neighbourhoods", str(member.id))
    assert everywhere.stdout.strip() == f"Staff member {member.id} now covers: every neighbourhood."
    listed = await cli(database_url, "list")
    lines = listed.stdout.splitlines()
    assert lines[0] == "ID\tNAME\tROLE\tACTIVE\tCREATED"
    assert lines[1].startswith(f"{member.id}\tPriya Shah\tadmin\tyes\t")

    revoked = await cli(database_url, "revoke", str(member.id))
    assert revoked.returncode == 0, revoked.stderr
    assert revoked.stdout.strip() == f"Staff member {member.id} can no longer use staff commands."
    again = await cli(database_url, "revoke", str(member.id))
    assert again.stdout.strip() == f"Staff member {member.id} was already revoked."
    missing = await cli(database_url, "revoke", "999999")
    assert missing.returncode == 2
    assert missing.stderr.strip() == "There is no staff member with number 999999."
    listed = await cli(database_url, "list")
    assert listed.stdout.splitlines()[1].startswith(f"{member.id}\tPriya Shah\tadmin\tno\t")
    async with sessions() as session:
        row = await session.get(StaffMember, member.id)
        audit = (await session.scalars(select(AuditEntry).order_by(AuditEntry.id))).all()
    assert row is not None and not row.active and row.revoked_at is not None
    assert [(a.actor, a.action) for a in audit] == [
        ("cli", "staff.invite_created"),
        (f"staff:{member.id}", "staff.invite_redeemed"),
        ("cli", "staff.neighbourhoods_set"),  # riverside; the unknown code changed nothing
        ("cli", "staff.neighbourhoods_set"),  # back to every neighbourhood
        ("cli", "staff.revoked"),
    ]


async def test_bad_staff_commands_are_one_line(database_url: str, sessions: Sessions) -> None:
    for args, named in (
        (("invite", "--role", "owner"), "invalid choice"),
        (("invite",), "--role"),
        (("invite", "--role", "staff", "--days", "0"), "not a number of days"),
        (("invite", "--role", "staff", "--days", "91"), "not a number of days"),
        (("revoke", "abc"), "invalid int value"),
    ):
        result = await cli(database_url, *args)
        assert result.returncode == 2
        assert named in result.stderr and "Traceback" not in result.stderr
    result = await cli(database_url, "invite", "--role", "staff", "--name", "x" * 65)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "That is too long: please keep it under 64 characters (yours has 65)."
    )
    async with sessions() as session:
        assert await session.scalar(select(StaffInvite)) is None
