"""Telegram side of announcements: /announce, /scheduled, /broadcasts, and residents' Updates.

/announce asks, one step at a time: the text (or a photo with a caption), the
neighbourhoods, the topics, when (now, at a date and time, or every week), and whether
it is urgent. The preview is the announcement itself, sent to the staff member with the
same formatting residents will get, so Telegram's own check of the formatting ("can't
parse entities") happens before anything is sent; then the exact recipient count and
Confirm / Cancel. The previewed announcement is kept as a draft row and Confirm acts on
that row, once: a second press is told it has already been sent or scheduled.
"""

from __future__ import annotations

from datetime import datetime, time

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.constants import MessageEntityType, ParseMode
from telegram.error import BadRequest, RetryAfter

from bot.broadcasts import jobs
from bot.broadcasts import service as broadcasts
from bot.broadcasts.service import Audience
from bot.delivery.limits import seconds_of
from bot.errors import InvalidInput, StaleAction
from bot.i18n import format_moment
from bot.models import Announcement
from bot.models.base import utcnow
from bot.residents import service as residents
from bot.text import parse_moment, parse_time_of_day, shorten, shorten_block
from bot.tg.conversation import Command, Flow, Step, Turn, inline, pairs
from bot.tg.pickers import ask_areas, pick_areas

ANNOUNCE = "announce"
UPDATES_PAGE = 5
UPDATE_SHOWN_LENGTH = 700
SCHEDULED_SHOWN = 20
BROADCASTS_SHOWN = 10

# Telegram formatting a staff member applied in the app (bold, links...): when a message
# carries any, its HTML is taken from those entities instead of from typed tags.
_FORMATTING = frozenset(
    {
        MessageEntityType.BOLD,
        MessageEntityType.ITALIC,
        MessageEntityType.UNDERLINE,
        MessageEntityType.STRIKETHROUGH,
        MessageEntityType.SPOILER,
        MessageEntityType.CODE,
        MessageEntityType.PRE,
        MessageEntityType.TEXT_LINK,
        MessageEntityType.TEXT_MENTION,
        MessageEntityType.BLOCKQUOTE,
        MessageEntityType.EXPANDABLE_BLOCKQUOTE,
        MessageEntityType.CUSTOM_EMOJI,
    }
)


# ----- the answers so far -------------------------------------------------------------------


def _plan(turn: Turn) -> broadcasts.Plan:
    data = turn.data
    text = data.get("text")
    if not isinstance(text, str):
        raise StaleAction("That announcement is no longer in progress. Send /announce.")
    when = data.get("when")
    send_at = datetime.fromisoformat(str(data["send_at"])) if when == "at" else None
    recurrence = (
        broadcasts.weekly(data.get("days", []), time.fromisoformat(str(data["time"])))
        if when == "weekly"
        else None
    )
    return broadcasts.Plan(
        text=text,
        photo_file_id=data.get("photo"),
        audience=Audience(tuple(data.get("areas", [])), tuple(data.get("topics", []))),
        urgent=bool(data.get("urgent")),
        send_at=send_at,
        recurrence=recurrence,
    )


# ----- /announce: the text ------------------------------------------------------------------


async def start_announcement(turn: Turn, _args: str) -> None:
    """/announce: start writing an announcement (a preview left open is dropped)."""
    staff = await turn.staff()
    draft_id = turn.data.get("draft_id")
    if staff is not None and turn.flow == ANNOUNCE and isinstance(draft_id, int):
        await broadcasts.discard_draft(turn.session, draft_id, staff.id)
    turn.go("an_text", {})
    await turn.prompt_current()


async def prompt_text(turn: Turn) -> None:
    """Ask for the announcement."""
    _ = turn._
    turn.reply(
        "\n\n".join(
            [
                _("Send the announcement here: text, or a photo with a caption."),
                _(
                    "Formatting: use Telegram's own bold and italic, or type HTML tags: "
                    '<b>bold</b>, <i>italic</i>, <a href="https://example.org">a link</a>. '
                    "When typing tags, write &lt; for a < sign."
                ),
                _(
                    "Limits: {text} characters for text, {caption} for a photo's caption. "
                    "Longer announcements are refused, not split."
                ).format(text=broadcasts.TEXT_LIMIT, caption=broadcasts.CAPTION_LIMIT),
                _("Send /cancel to stop at any time."),
            ]
        )
    )


def _html(message: Message) -> str | None:
    """The message's text or caption as Telegram HTML."""
    entities = message.entities if message.text is not None else message.caption_entities
    if any(entity.type in _FORMATTING for entity in entities):
        return message.text_html if message.text is not None else message.caption_html
    return message.text if message.text is not None else message.caption


async def handle_text(turn: Turn) -> None:
    """Take text, or a photo (its caption now or at the next step)."""
    if await turn.staff_or_stop() is None:
        return
    message = turn.message
    if turn.press is not None or message is None:
        raise InvalidInput("Please send the announcement as a message.")
    if message.document is not None:
        if (message.document.mime_type or "").startswith("image/"):
            broadcasts.check_photo(message.document.file_size)
            raise InvalidInput(
                "Please send the picture as a photo, not as a file, so that residents see it "
                "in the chat."
            )
        raise InvalidInput("Please send text, or a photo with a caption.")
    if message.photo:
        largest = message.photo[-1]
        broadcasts.check_photo(largest.file_size)
        caption = _html(message)
        if caption is None or not caption.strip():
            turn.keep(photo=largest.file_id, text=None)
            turn.go("an_caption")
            await turn.prompt_current()
            return
        turn.keep(photo=largest.file_id, text=broadcasts.check_text(caption, caption=True))
    elif message.text is not None:
        text = broadcasts.check_text(_html(message), caption=False)
        turn.keep(photo=None, text=text)
    else:
        raise InvalidInput("Please send text, or a photo with a caption.")
    await turn.go_on("an_areas", _preview)


async def prompt_caption(turn: Turn) -> None:
    """Ask for the photo's caption."""
    turn.reply(
        turn._(
            "Now type the words to go with the photo (up to {limit} characters), or send "
            "another photo with its caption."
        ).format(limit=broadcasts.CAPTION_LIMIT)
    )


async def handle_caption(turn: Turn) -> None:
    """Take the caption (or start again with another photo)."""
    if await turn.staff_or_stop() is None:
        return
    message = turn.message
    if message is not None and (message.photo or message.document):
        await handle_text(turn)
        return
    if turn.press is not None or message is None or message.text is None:
        raise InvalidInput("Please type the words to go with the photo.")
    turn.keep(text=broadcasts.check_text(_html(message), caption=True))
    await turn.go_on("an_areas", _preview)


# ----- /announce: the audience -------------------------------------------------------------


async def prompt_areas(turn: Turn) -> None:
    """Which neighbourhoods? (toggle buttons)"""
    await ask_areas(
        turn,
        turn._(
            "Who should receive it? Tap the neighbourhoods, then press Next - or press "
            "All neighbourhoods."
        ),
    )


async def handle_areas(turn: Turn) -> None:
    """Toggle a neighbourhood, or go on with the chosen ones (or all)."""
    if await turn.staff_or_stop() is None or await pick_areas(turn):
        return
    turn.go("an_topics")
    await turn.prompt_current()


async def prompt_topics(turn: Turn) -> None:
    """Which topics? (toggle buttons)"""
    topics = [(t.id, t.label(turn.language)) for t in await residents.active_topics(turn.session)]
    chosen = set(turn.data.get("topics", []))
    turn.reply(
        turn._(
            "Which topics is it about? Residents receive it only if they follow one of them. "
            "Tap the topics, then press Next - or press All topics to reach everyone who "
            "gets updates."
        ),
        _topics_markup(turn, topics, chosen),
    )


def _topics_markup(
    turn: Turn, topics: list[tuple[int, str]], chosen: set[int]
) -> InlineKeyboardMarkup:
    _ = turn._
    buttons = [
        turn.button(("✓ " if topic_id in chosen else "") + label, "topic", topic_id)
        for topic_id, label in topics
    ]
    return inline(
        [
            *pairs(buttons),
            [turn.button(_("All topics"), "topics", "all")],
            [turn.button(_("Next"), "topics", "next")],
        ]
    )


async def handle_topics(turn: Turn) -> None:
    """Toggle a topic, or go on with the chosen ones (or all)."""
    if await turn.staff_or_stop() is None:
        return
    press = turn.press
    if press is None:
        raise InvalidInput("Please choose with the buttons.")
    chosen = set(turn.data.get("topics", []))
    if press.action == "topic":
        topics = [
            (t.id, t.label(turn.language)) for t in await residents.active_topics(turn.session)
        ]
        topic_id = press.int_arg(0)
        if topic_id not in {t for t, _label in topics}:
            raise StaleAction("That button no longer works.")
        chosen ^= {topic_id}
        turn.keep(topics=sorted(chosen))
        turn.answer_press()
        turn.edit_buttons(_topics_markup(turn, topics, chosen))
        return
    if press.action != "topics" or press.arg(0) not in ("all", "next"):
        raise StaleAction("That button no longer works.")
    if press.arg(0) == "all":
        turn.keep(topics=[])
    elif not chosen:
        raise InvalidInput("Choose at least one topic, or press All topics.")
    turn.answer_press()
    turn.edit_buttons(None)
    await turn.go_on("an_when", _preview)


# ----- /announce: when ----------------------------------------------------------------------


async def prompt_when(turn: Turn) -> None:
    """Now, once later, or every week?"""
    _ = turn._
    turn.reply(
        _("When should it go out?"),
        inline(
            [
                [turn.button(_("Send now"), "when", "now")],
                [turn.button(_("At a date and time"), "when", "at")],
                [turn.button(_("Every week"), "when", "weekly")],
            ]
        ),
    )


async def handle_when(turn: Turn) -> None:
    """Take the kind of timing."""
    if await turn.staff_or_stop() is None:
        return
    if turn.press is None or turn.press.action != "when":
        raise InvalidInput("Please choose with the buttons.")
    choice = turn.press.arg(0)
    turn.answer_press()
    turn.edit_buttons(None)
    if choice == "now":
        turn.keep(when="now")
        await turn.go_on("an_urgent", _preview)
    elif choice == "at":
        turn.go("an_at")
        await turn.prompt_current()
    elif choice == "weekly":
        turn.go("an_days")
        await turn.prompt_current()
    else:
        raise StaleAction("That button no longer works.")


async def prompt_at(turn: Turn) -> None:
    """Ask for the date and time."""
    turn.reply(
        turn._(
            "Type the date and time to send it, in UK time, like this: 2026-12-01 09:00 "
            "(year-month-day, then the 24-hour clock). 01/12/2026 09:00 (day/month/year) "
            "works too."
        )
    )


async def handle_at(turn: Turn) -> None:
    """Take a date and time in the future."""
    if await turn.staff_or_stop() is None:
        return
    if turn.press is not None or turn.message is None:
        raise InvalidInput("Please type the date and time, like this: 2026-12-01 09:00.")
    moment = parse_moment(turn.message.text, tz=turn.settings.tz, now=utcnow())
    turn.keep(when="at", send_at=moment.isoformat())
    await turn.go_on("an_urgent", _preview)


def _days_markup(turn: Turn, chosen: set[str]) -> InlineKeyboardMarkup:
    _ = turn._
    buttons = [
        turn.button(("✓ " if code in chosen else "") + _(label), "day", code)
        for code, label in broadcasts.WEEKDAYS.items()
    ]
    return inline([*pairs(buttons), [turn.button(_("Next"), "days", "next")]])


async def prompt_days(turn: Turn) -> None:
    """Which weekdays? (toggle buttons)"""
    turn.reply(
        turn._("Which days of the week? Tap the days, then press Next."),
        _days_markup(turn, set(turn.data.get("days", []))),
    )


async def handle_days(turn: Turn) -> None:
    """Toggle a weekday, or go on to the time."""
    if await turn.staff_or_stop() is None:
        return
    press = turn.press
    if press is None:
        raise InvalidInput("Please choose the days with the buttons.")
    chosen = set(turn.data.get("days", []))
    if press.action == "day":
        day = press.arg(0)
        if day not in broadcasts.WEEKDAYS:
            raise StaleAction("That button no longer works.")
        chosen ^= {day}
        turn.keep(days=[d for d in broadcasts.WEEKDAYS if d in chosen])
        turn.answer_press()
        turn.edit_buttons(_days_markup(turn, chosen))
        return
    if press.action != "days":
        raise StaleAction("That button no longer works.")
    if not chosen:
        raise InvalidInput("Please choose at least one day.")
    turn.answer_press()
    turn.edit_buttons(None)
    turn.go("an_time")
    await turn.prompt_current()


async def prompt_time(turn: Turn) -> None:
    """Ask for the time of day."""
    turn.reply(turn._("At what time? Type it in UK time on the 24-hour clock, like this: 09:00."))


async def handle_time(turn: Turn) -> None:
    """Take the weekly time."""
    if await turn.staff_or_stop() is None:
        return
    if turn.press is not None or turn.message is None:
        raise InvalidInput("Please type the time on the 24-hour clock, like this: 09:00.")
    at = parse_time_of_day(turn.message.text)
    turn.keep(when="weekly", time=f"{at:%H:%M}")
    await turn.go_on("an_urgent", _preview)


# ----- /announce: urgency -------------------------------------------------------------------


async def prompt_urgent(turn: Turn) -> None:
    """Urgent or not?"""
    _ = turn._
    settings = turn.settings
    turn.reply(
        _(
            "Is it urgent? Urgent announcements go out at once, even during quiet hours "
            "({start}-{end}). Others sent during quiet hours wait until they end. Keep "
            "urgent for emergencies, such as the water being off."
        ).format(
            start=f"{settings.quiet_hours_start:%H:%M}", end=f"{settings.quiet_hours_end:%H:%M}"
        ),
        inline(
            [
                [turn.button(_("Urgent - send at any hour"), "urgent", "yes")],
                [turn.button(_("Not urgent"), "urgent", "no")],
            ]
        ),
    )


async def handle_urgent(turn: Turn) -> None:
    """Take the urgency, then show the preview."""
    if await turn.staff_or_stop() is None:
        return
    if turn.press is None or turn.press.action != "urgent":
        raise InvalidInput("Please choose with the buttons.")
    choice = turn.press.arg(0)
    if choice not in ("yes", "no"):
        raise StaleAction("That button no longer works.")
    turn.answer_press()
    turn.edit_buttons(None)
    turn.keep(urgent=choice == "yes")
    await _preview(turn)


# ----- /announce: preview and confirm ------------------------------------------------------


async def _show_rendered(turn: Turn, text: str, photo: str | None) -> None:
    """Send the announcement to the staff member exactly as residents will get it.

    Sent now, not after the turn, because Telegram's answer decides the next step: a 400
    (broken formatting, too long, a photo it will not take) goes back to the staff member
    before anything is sent to residents.
    """
    # This runs inside the turn's transaction: never wait out flood control here (on
    # SQLite that would hold up every other chat); ask the staff member to try again.
    try:
        if photo:
            await turn.bot.send_photo(turn.chat_id, photo, caption=text, parse_mode=ParseMode.HTML)
        else:
            await turn.bot.send_message(turn.chat_id, text, parse_mode=ParseMode.HTML)
    except RetryAfter as flood:
        raise InvalidInput(
            "Telegram is busy. Please try again in {seconds} seconds.",
            seconds=max(1, round(seconds_of(flood.retry_after))),
        ) from None


async def _preview(turn: Turn) -> None:
    """Show the announcement as residents will see it, then the count and Confirm."""
    staff = await turn.staff()
    assert staff is not None
    _ = turn._
    plan = _plan(turn)
    try:
        await _show_rendered(turn, plan.text, plan.photo_file_id)
    except BadRequest as refused:
        turn.keep(ready=True)
        turn.go("an_text")
        turn.reply(
            _(
                "Telegram could not show this announcement, so nothing has been sent. "
                "Telegram said: {reason}"
            ).format(reason=refused.message)
            + "\n\n"
            + _(
                "Please send it again with that fixed. If you typed a < sign on its own, "
                "write &lt; instead; every tag you open, like <b>, needs closing, like </b>."
            )
        )
        return
    draft = await broadcasts.save_draft(
        turn.session, plan, staff.id, replaces=turn.data.get("draft_id")
    )
    turn.go("an_confirm")
    turn.keep(draft_id=draft.id, ready=True)
    await prompt_confirm(turn)


async def announce_prepared(
    turn: Turn, *, text: str, photo: str | None, areas: list[int], topics: list[int]
) -> None:
    """Open /announce at its preview with the announcement already written (for events).

    Sent now and not urgent; every Change button works as in /announce.
    """
    staff = await turn.staff()
    draft_id = turn.data.get("draft_id")
    if staff is not None and turn.flow == ANNOUNCE and isinstance(draft_id, int):
        await broadcasts.discard_draft(turn.session, draft_id, staff.id)
    answers = {"text": text, "photo": photo, "areas": areas, "topics": topics}
    turn.go("an_urgent", {**answers, "when": "now", "urgent": False, "ready": True})
    await _preview(turn)


async def _when_words(turn: Turn, row: Announcement) -> str:
    _ = turn._
    tz, language = turn.settings.tz, turn.language
    if row.recurrence:
        days, at = broadcasts.parse_weekly(row.recurrence)
        schedule = _("every {days} at {time}").format(
            days=", ".join(_(broadcasts.WEEKDAYS[d]) for d in days), time=f"{at:%H:%M}"
        )
        upcoming = row.next_run_at or broadcasts.next_weekly_run(row.recurrence, utcnow(), tz)
        return (
            schedule + " " + _("(next: {when})").format(when=format_moment(upcoming, tz, language))
        )
    if row.send_at is not None:
        return format_moment(row.send_at, tz, language)
    return _("now")


async def _audience_words(turn: Turn, row: Announcement) -> list[str]:
    _ = turn._
    areas, topics = await broadcasts.audience_names(turn.session, Audience.of(row), turn.language)
    return [
        _("Neighbourhoods: {value}").format(value=", ".join(areas) or _("all")),
        _("Topics: {value}").format(value=", ".join(topics) or _("all")),
    ]


async def prompt_confirm(turn: Turn) -> None:
    """The summary under the preview: audience, time, urgency, exact count; Confirm / Cancel."""
    _ = turn._
    draft_id = turn.data.get("draft_id")
    row = await turn.session.get(Announcement, draft_id) if isinstance(draft_id, int) else None
    if row is None or row.status != "draft":
        turn.end()
        turn.reply(_("That preview is out of date. Send /announce to start again."))
        return
    count = await broadcasts.count_recipients(turn.session, Audience.of(row))
    later = row.recurrence is not None or row.send_at is not None
    lines = [
        _("Above is the announcement exactly as residents will see it."),
        *await _audience_words(turn, row),
        _("When: {value}").format(value=await _when_words(turn, row)),
        _("Urgent: yes - it goes out at once, even during quiet hours")
        if row.urgent
        else _("Urgent: no - held during quiet hours"),
        _("Recipients now: {count}").format(count=count),
    ]
    rows: list[list[InlineKeyboardButton]] = []
    if count == 0 and not later:
        lines.append(
            _(
                "Nobody would receive it: no active resident in those neighbourhoods follows "
                "those topics. Change the audience, or cancel."
            )
        )
    else:
        if count == 0:
            lines.append(
                _("Nobody matches yet. It will go to the residents who match when it is sent.")
            )
        confirm = _("Confirm and schedule") if later else _("Confirm and send")
        rows.append([turn.button(confirm, "anok", row.id, anywhere=True)])
    rows += [
        [
            turn.button(_("Change text"), "edit", "text"),
            turn.button(_("Change audience"), "edit", "audience"),
        ],
        [
            turn.button(_("Change time"), "edit", "when"),
            turn.button(_("Change urgency"), "edit", "urgent"),
        ],
        [turn.button(_("Cancel"), "anno", row.id, anywhere=True)],
    ]
    turn.reply("\n".join(lines), inline(rows))


_EDIT_STEPS = {"text": "an_text", "audience": "an_areas", "when": "an_when", "urgent": "an_urgent"}


async def handle_confirm(turn: Turn) -> None:
    """At the preview: a Change button (Confirm and Cancel work from anywhere)."""
    if await turn.staff_or_stop() is None:
        return
    press = turn.press
    if press is None:
        raise InvalidInput("Please press Confirm or Cancel under the preview.")
    if press.action != "edit" or press.arg(0) not in _EDIT_STEPS:
        raise StaleAction("That button no longer works.")
    turn.answer_press()
    turn.edit_buttons(None)
    turn.go(_EDIT_STEPS[press.arg(0)])
    await turn.prompt_current()


def _previewing(turn: Turn, announcement_id: int) -> bool:
    return turn.step == "an_confirm" and turn.data.get("draft_id") == announcement_id


async def on_confirm(turn: Turn) -> None:
    """Confirm: send the previewed announcement now, or schedule it - once."""
    staff = await turn.require_staff()
    assert turn.press is not None
    announcement_id = turn.press.int_arg(0)
    _ = turn._
    settings = turn.settings
    try:
        outcome = await broadcasts.confirm_announcement(
            turn.session,
            announcement_id,
            staff,
            now=utcnow(),
            quiet_hours=broadcasts.quiet_hours_of(settings),
            tz=settings.tz,
            is_current=_previewing(turn, announcement_id),
        )
    except broadcasts.TimeHasPassed as passed:
        turn.answer_press()
        turn.edit_buttons(None)
        turn.go("an_at")
        turn.reply(_(passed.message_id))
        await turn.prompt_current()
        return
    turn.answer_press(_("Done."))
    turn.edit_buttons(None)
    turn.end()
    tz, language = settings.tz, turn.language
    if outcome.status == "sent":
        text = _("Sent. Recipients: {count}. Send /broadcasts to see how it is going.").format(
            count=outcome.recipients
        )
        if outcome.held_until is not None:
            text += " " + _("It is quiet hours now, so it will go out at {when}.").format(
                when=format_moment(outcome.held_until, tz, language)
            )
    else:
        assert outcome.next_run_at is not None
        jobs.plan_announcement(outcome.announcement_id, outcome.next_run_at)
        text = _("Scheduled: it goes out at {when}. Send /scheduled to see or cancel it.").format(
            when=format_moment(outcome.next_run_at, tz, language)
        )
    turn.reply(text)


async def on_cancel_draft(turn: Turn) -> None:
    """Cancel at the preview: nothing is sent and the draft is dropped."""
    staff = await turn.require_staff()
    assert turn.press is not None
    announcement_id = turn.press.int_arg(0)
    row = await turn.session.get(Announcement, announcement_id)
    if row is not None and row.status != "draft":
        raise InvalidInput(
            "That announcement is no longer a draft: it has been sent or scheduled. "
            "Send /scheduled to cancel a scheduled one."
        )
    await broadcasts.discard_draft(turn.session, announcement_id, staff.id)
    turn.answer_press()
    turn.edit_buttons(None)
    if _previewing(turn, announcement_id):
        turn.end()
    turn.reply(turn._("Cancelled. Nothing has been sent."))


# ----- /scheduled ---------------------------------------------------------------------------


async def _scheduled_view(turn: Turn) -> tuple[str, InlineKeyboardMarkup | None]:
    _ = turn._
    rows = await broadcasts.scheduled_announcements(turn.session, SCHEDULED_SHOWN)
    if not rows:
        return _("Nothing is scheduled. Send /announce to write an announcement."), None
    parts = [_("Scheduled announcements:")]
    buttons: list[list[InlineKeyboardButton]] = []
    for row in rows:
        lines = [f"#{row.id} · {await _when_words(turn, row)}"]
        lines += await _audience_words(turn, row)
        if row.urgent:
            lines.append(_("Urgent"))
        words = shorten(broadcasts.visible_text(row.text), 120)
        lines.append(("📷 " if row.photo_file_id else "") + words)
        parts.append("\n".join(lines))
        buttons.append(
            [turn.button(_("Cancel #{id}").format(id=row.id), "ancl", row.id, anywhere=True)]
        )
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
    await broadcasts.cancel_scheduled(turn.session, announcement_id, staff, now=utcnow())
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
    reports = await broadcasts.recent_broadcasts(turn.session, BROADCASTS_SHOWN)
    if not reports:
        turn.reply(_("Nothing has been sent yet. Send /announce to write an announcement."))
        return
    parts = [_("Recent broadcasts, newest first:")]
    for report in reports:
        counts = report.counts
        when = format_moment(report.broadcast.started_at, turn.settings.tz, turn.language)
        words = shorten(broadcasts.visible_text(report.announcement.text), 80)
        parts.append(
            "\n".join(
                [
                    f"#{report.broadcast.id} · {when} · {words}",
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
    page = await broadcasts.updates_for(
        turn.session, resident, older_than=older_than, limit=UPDATES_PAGE
    )
    if not page.updates:
        if older_than is not None:
            turn.reply(_("There are no older updates."), turn.menu())
        elif not await broadcasts.followed_topic_ids(turn.session, resident.id):
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
        inline([[turn.button(_("Older updates"), "updates", page.older_than, anywhere=True)]])
        if page.older_than is not None
        else turn.menu()
    )
    turn.reply("\n\n".join(parts), markup)


STEPS: dict[str, Step] = {
    "an_text": Step(ANNOUNCE, prompt_text, handle_text, staff_only=True),
    "an_caption": Step(ANNOUNCE, prompt_caption, handle_caption, staff_only=True),
    "an_areas": Step(ANNOUNCE, prompt_areas, handle_areas, staff_only=True),
    "an_topics": Step(ANNOUNCE, prompt_topics, handle_topics, staff_only=True),
    "an_when": Step(ANNOUNCE, prompt_when, handle_when, staff_only=True),
    "an_at": Step(ANNOUNCE, prompt_at, handle_at, staff_only=True),
    "an_days": Step(ANNOUNCE, prompt_days, handle_days, staff_only=True),
    "an_time": Step(ANNOUNCE, prompt_time, handle_time, staff_only=True),
    "an_urgent": Step(ANNOUNCE, prompt_urgent, handle_urgent, staff_only=True),
    "an_confirm": Step(ANNOUNCE, prompt_confirm, handle_confirm, staff_only=True),
}

# Buttons that work at any step (revision 0); each checks who is pressing.
PRESS_ACTIONS = {
    "anok": on_confirm,
    "anno": on_cancel_draft,
    "ancl": on_cancel_scheduled,
    "updates": on_older_updates,
}

COMMANDS = {
    "announce": Command(start_announcement, audience="staff"),
    "scheduled": Command(show_scheduled, audience="staff"),
    "broadcasts": Command(show_broadcasts, audience="staff"),
}

FLOW = Flow("broadcasts", STEPS, presses=PRESS_ACTIONS, commands=COMMANDS)
