"""Announcements in Telegram: the /announce conversation's steps and buttons, /scheduled
(with Cancel) and /broadcasts (how the latest sendings went).

The stages of /announce are in `telegram_announce` (what, to whom), `telegram_timing`
(when, how urgent) and `telegram_preview` (preview, Confirm, Cancel); residents' Updates
in `telegram_updates`.
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.broadcasts import jobs
from bot.broadcasts.composing import visible_text
from bot.broadcasts.lifecycle import cancel_scheduled, scheduled_announcements
from bot.broadcasts.sending import BROADCAST_STATUS_WORDS, recent_broadcasts
from bot.broadcasts.steps import ANNOUNCE_FLOW, AnnounceButton, AnnounceStep
from bot.broadcasts.telegram_announce import (
    handle_areas,
    handle_caption,
    handle_text,
    handle_topics,
    prompt_areas,
    prompt_caption,
    prompt_text,
    prompt_topics,
    start_announcement,
)
from bot.broadcasts.telegram_preview import (
    describe_audience,
    describe_when,
    handle_confirm,
    on_cancel_draft,
    on_confirm,
    prompt_confirm,
    prompt_prepared,
)
from bot.broadcasts.telegram_timing import (
    handle_at,
    handle_days,
    handle_time,
    handle_urgent,
    handle_when,
    prompt_at,
    prompt_days,
    prompt_time,
    prompt_urgent,
    prompt_when,
)
from bot.broadcasts.telegram_updates import on_older_updates
from bot.i18n import format_moment
from bot.models.base import utcnow
from bot.text import shorten
from bot.tg.conversation import Command, Flow, Step, Turn, TurnHandler, inline

SCHEDULED_SHOWN = 20
BROADCASTS_SHOWN = 10


# ----- /scheduled ---------------------------------------------------------------------------


async def _scheduled_view(turn: Turn) -> tuple[str, InlineKeyboardMarkup | None]:
    _ = turn._
    rows = await scheduled_announcements(turn.session, SCHEDULED_SHOWN)
    if not rows:
        return _("Nothing is scheduled. Send /announce to write an announcement."), None
    parts = [_("Scheduled announcements:")]
    buttons: list[list[InlineKeyboardButton]] = []
    for row in rows:
        lines = [f"#{row.id} · {await describe_when(turn, row)}"]
        lines += await describe_audience(turn, row)
        if row.urgent:
            lines.append(_("Urgent"))
        words = shorten(visible_text(row.text), 120)
        lines.append(("📷 " if row.photo_file_id else "") + words)
        parts.append("\n".join(lines))
        label = _("Cancel #{id}").format(id=row.id)
        cancel = turn.button(label, AnnounceButton.CANCEL_SCHEDULED, row.id, anywhere=True)
        buttons.append([cancel])
    return "\n\n".join(parts), inline(buttons)


async def show_scheduled(turn: Turn, _args: str) -> None:
    """/scheduled: announcements waiting to go, each with a Cancel button."""
    text, markup = await _scheduled_view(turn)
    turn.reply(text, markup)


async def on_cancel_scheduled(turn: Turn) -> None:
    """Cancel #N under /scheduled: the announcement will not be sent (again)."""
    staff = await turn.require_staff()
    assert turn.press is not None
    announcement_id = turn.press.int_arg(0)
    await cancel_scheduled(turn.session, announcement_id, staff, now=utcnow())
    jobs.drop_announcement(announcement_id)
    _ = turn._
    turn.answer_press(_("Cancelled."))
    _text, markup = await _scheduled_view(turn)
    turn.edit_buttons(markup)
    turn.reply(
        _("Announcement #{id} is cancelled: it will not be sent.").format(id=announcement_id)
    )


# ----- /broadcasts --------------------------------------------------------------------------


async def show_broadcasts(turn: Turn, _args: str) -> None:
    """/broadcasts: the latest sendings and how many were queued, sent, failed, skipped."""
    _ = turn._
    reports = await recent_broadcasts(turn.session, BROADCASTS_SHOWN)
    if not reports:
        turn.reply(_("Nothing has been sent yet. Send /announce to write an announcement."))
        return
    parts = [_("Recent broadcasts, newest first:")]
    for report in reports:
        counts = report.counts
        when = format_moment(report.broadcast.started_at, turn.settings.tz, turn.language)
        words = shorten(visible_text(report.announcement.text), 80)
        # "sending" until every message is done, then "sent", "sent with failures" or
        # "cancelled" (the words are the dashboard's, bot/broadcasts/web/listing.py).
        status = _(BROADCAST_STATUS_WORDS.get(report.broadcast.status, report.broadcast.status))
        parts.append(
            "\n".join(
                [
                    f"#{report.broadcast.id} · {when} · {status} · {words}",
                    _(
                        "Recipients: {total} · waiting: {queued} · sent: {sent} · "
                        "failed: {failed} · skipped: {skipped}"
                    ).format(
                        total=report.broadcast.recipients,
                        queued=counts.get("queued", 0) + counts.get("sending", 0),
                        sent=counts.get("sent", 0),
                        failed=counts.get("failed", 0),
                        skipped=counts.get("skipped", 0),
                    ),
                ]
            )
        )
    turn.reply("\n\n".join(parts))


def _announce_step(prompt: TurnHandler, handle: TurnHandler) -> Step:
    return Step(ANNOUNCE_FLOW, prompt, handle, staff_only=True)


STEPS: dict[str, Step] = {
    AnnounceStep.TEXT: _announce_step(prompt_text, handle_text),
    AnnounceStep.CAPTION: _announce_step(prompt_caption, handle_caption),
    AnnounceStep.AREAS: _announce_step(prompt_areas, handle_areas),
    AnnounceStep.TOPICS: _announce_step(prompt_topics, handle_topics),
    AnnounceStep.WHEN: _announce_step(prompt_when, handle_when),
    AnnounceStep.AT: _announce_step(prompt_at, handle_at),
    AnnounceStep.DAYS: _announce_step(prompt_days, handle_days),
    AnnounceStep.TIME: _announce_step(prompt_time, handle_time),
    AnnounceStep.URGENT: _announce_step(prompt_urgent, handle_urgent),
    AnnounceStep.CONFIRM: _announce_step(prompt_confirm, handle_confirm),
    # Presses at the prepared preview are the preview's own (its prompt moves on at once).
    AnnounceStep.PREPARED: _announce_step(prompt_prepared, handle_confirm),
}

# Buttons that work at any step (revision 0); each checks who is pressing.
PRESS_ACTIONS: dict[str, TurnHandler] = {
    AnnounceButton.CONFIRM: on_confirm,
    AnnounceButton.DISCARD: on_cancel_draft,
    AnnounceButton.CANCEL_SCHEDULED: on_cancel_scheduled,
    AnnounceButton.OLDER_UPDATES: on_older_updates,
}

COMMANDS = {
    "announce": Command(start_announcement, audience="staff"),
    "scheduled": Command(show_scheduled, audience="staff"),
    "broadcasts": Command(show_broadcasts, audience="staff"),
}

FLOW = Flow("broadcasts", STEPS, presses=PRESS_ACTIONS, commands=COMMANDS)
