"""Staff in Telegram, their own commands: /staff CODE (joining with an invite), /staffhelp,
and for admins /invite, /stafflist and /revoke.

Every command checks the role when it is used: a resident who types a staff command is
refused, and nothing changes. What staff do with reports (/inbox, /view, the buttons on
notifications, replies) is feedback's: ``bot.feedback.telegram_staff``.
"""

from __future__ import annotations

from bot.audit import staff_actor
from bot.errors import InvalidInput, NotAllowed
from bot.i18n import N_, format_day, format_moment
from bot.models import StaffMember
from bot.models.staff import ROLES
from bot.staff import service as staff_service
from bot.text import whole_number
from bot.tg.conversation import Command, Flow, Turn

ONLY_STAFF = N_("Sorry, that command is only for staff.")


async def _require_admin(turn: Turn) -> StaffMember:
    """The active admin speaking, or NotAllowed."""
    staff = await turn.require_staff(ONLY_STAFF)
    if staff.role != "admin":
        raise NotAllowed(ONLY_STAFF)
    return staff


# ----- becoming staff ---------------------------------------------------------------------------


async def redeem(turn: Turn, code: str) -> None:
    """/staff CODE (or the t.me/<bot>?start=staff-CODE link): take the role an invite gives."""
    _ = turn._
    if not code.strip():
        turn.reply(_("Please send /staff followed by the code an admin gave you."))
        return
    user = turn.update.effective_user
    member = await staff_service.redeem_invite(
        turn.session, code, turn.user_id, turn.chat_id, user.full_name if user else None
    )
    turn.reply(
        _(
            "Welcome, {name}. You are now set up as: {role}. New reports, urgent reports and "
            "complaint deadlines will reach you here, with buttons to acknowledge, reply and "
            "change their status. Send /staffhelp to see the staff commands."
        ).format(name=member.name, role=_(staff_service.ROLE_LABELS[member.role]))
    )


async def _staff_command(turn: Turn, args: str) -> None:
    await redeem(turn, args)


async def _staff_help(turn: Turn, _args: str) -> None:
    """/staffhelp: the staff commands."""
    _ = turn._
    staff = await turn.require_staff(ONLY_STAFF)
    lines = [
        _("Staff commands:"),
        "/inbox - " + _("reports not yet closed in your neighbourhoods"),
        "/view FB-2026-00042 - " + _("a report, its thread and its buttons"),
        "/announce - " + _("an update to residents: now, at a time, or every week"),
        "/scheduled - " + _("announcements waiting to go out, to cancel them"),
        "/broadcasts - " + _("how the latest announcements were delivered"),
        "/newevent - " + _("set up a community event, preview it and publish it"),
        "/staffevents - "
        + _("upcoming events and those of the last 14 days: manage, attendees, attendance"),
        "/staffhelp - " + _("this list"),
    ]
    if staff.role == "admin":
        lines += [
            "",
            _("Admin commands:"),
            "/invite staff|admin NAME - " + _("a one-time code for a new member of staff"),
            "/stafflist - " + _("everyone with a staff role"),
            "/revoke NUMBER - " + _("take a staff role away"),
        ]
    turn.reply("\n".join(lines))


# ----- admin: invites and the staff list -------------------------------------------------------


async def _invite_command(turn: Turn, args: str) -> None:
    """/invite staff|admin [NAME]: a one-time code for a new member of staff."""
    _ = turn._
    admin = await _require_admin(turn)
    role, _space, name = args.partition(" ")
    if role.lower() not in ROLES:
        turn.reply(_("Please send /invite staff NAME, or /invite admin NAME."))
        return
    issued = await staff_service.create_invite(
        turn.session,
        role.lower(),
        name.strip() or None,
        turn.settings.staff_invite_days,
        actor=staff_actor(admin),
    )
    code = issued.code
    turn.reply(
        "\n\n".join(
            [
                _("A one-time code for a new {role}, valid until {when}:").format(
                    role=_(staff_service.ROLE_LABELS[issued.invite.role]),
                    when=format_moment(issued.invite.expires_at, turn.settings.tz, turn.language),
                ),
                code,
                _("They send this to the bot: {command}").format(command=f"/staff {code}"),
                _("or open this link: {link}").format(
                    link=f"https://t.me/{turn.bot.username}?start="
                    f"{staff_service.DEEP_LINK_PREFIX}{code}"
                ),
            ]
        )
    )


async def _staff_list_command(turn: Turn, _args: str) -> None:
    """/stafflist: everyone with a staff role, and whether they still have it."""
    _ = turn._
    await _require_admin(turn)
    members = await staff_service.list_staff(turn.session)
    lines = [_("Staff (number, name, role, since):")]
    for member in members:
        state = "" if member.active else " - " + _("revoked")
        lines.append(
            f"{member.id}. {member.name} - {_(staff_service.ROLE_LABELS[member.role])} - "
            f"{format_day(member.created_at.astimezone(turn.settings.tz).date(), turn.language)}"
            f"{state}"
        )
    turn.reply("\n".join(lines))


async def _revoke_command(turn: Turn, args: str) -> None:
    """/revoke NUMBER: take a staff role away (the number is in /stafflist)."""
    _ = turn._
    admin = await _require_admin(turn)
    number = whole_number(args)
    if number is None:
        turn.reply(_("Please send /revoke followed by the number shown in /stafflist."))
        return
    if number == admin.id:
        raise InvalidInput("You can't take away your own role. Ask another admin.")
    changed = await staff_service.revoke_staff(turn.session, number, staff_actor(admin))
    turn.reply(
        _("Staff member {number} can no longer use staff commands.").format(number=number)
        if changed
        else _("Staff member {number} was already revoked.").format(number=number)
    )


COMMANDS = {
    "staff": Command(_staff_command, audience="anyone"),
    "staffhelp": Command(_staff_help, audience="staff"),
    "invite": Command(_invite_command, audience="admin"),
    "stafflist": Command(_staff_list_command, audience="admin"),
    "revoke": Command(_revoke_command, audience="admin"),
}

FLOW = Flow("staff", commands=COMMANDS)
