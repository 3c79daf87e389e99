"""Residents' Updates in Telegram: the latest announcements for their area and topics,
a page at a time."""

from __future__ import annotations

from bot.broadcasts.audiences import followed_topic_ids
from bot.broadcasts.steps import AnnounceButton
from bot.broadcasts.updates import updates_for
from bot.errors import StaleAction
from bot.i18n import format_moment
from bot.text import shorten_block
from bot.tg.conversation import Turn, inline

UPDATES_PAGE = 5
UPDATE_SHOWN_LENGTH = 700


# ----- residents' Updates -------------------------------------------------------------------


async def show_updates(turn: Turn) -> None:
    """Updates (menu): the latest announcements for the resident's area and topics."""
    await _updates_page(turn, None)


async def on_older_updates(turn: Turn) -> None:
    """Older updates (button)."""
    if turn.resident is None or turn.resident.onboarded_at is None:
        raise StaleAction("That button no longer works.")
    assert turn.press is not None
    older_than = turn.press.int_arg(0)
    turn.answer_press()
    turn.edit_buttons(None)
    await _updates_page(turn, older_than)


async def _updates_page(turn: Turn, older_than: int | None) -> None:
    _ = turn._
    resident = turn.resident
    assert resident is not None
    page = await updates_for(turn.session, resident, older_than=older_than, limit=UPDATES_PAGE)
    if not page.updates:
        if older_than is not None:
            turn.reply(_("There are no older updates."), turn.menu())
        elif not await followed_topic_ids(turn.session, resident.id):
            turn.reply(
                _(
                    "You don't follow any topics, so no updates come to you. Choose topics "
                    "in Settings."
                ),
                turn.menu(),
            )
        else:
            turn.reply(
                _("There are no updates for you yet. We will send them here as they come."),
                turn.menu(),
            )
        return
    parts = [
        _("Recent updates for you, newest first:") if older_than is None else _("Older updates:")
    ]
    for update in page.updates:
        when = format_moment(update.sent_at, turn.settings.tz, turn.language)
        body = shorten_block(update.text, UPDATE_SHOWN_LENGTH)
        if update.has_photo:
            body = "📷 " + (body or _("(a photo)"))
        parts.append(f"{when}\n{body}")
    markup = (
        inline(
            [
                [
                    turn.button(
                        _("Older updates"),
                        AnnounceButton.OLDER_UPDATES,
                        page.older_than,
                        anywhere=True,
                    )
                ]
            ]
        )
        if page.older_than is not None
        else turn.menu()
    )
    turn.reply("\n\n".join(parts), markup)
