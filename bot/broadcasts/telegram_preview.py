"""/announce in Telegram: the preview, Confirm and Cancel.

The preview is the announcement itself, sent to the staff member with the same
formatting residents will get, so Telegram's own check of the formatting ("can't parse
entities") happens before anything is sent; then the exact recipient count and
Confirm / Cancel. The previewed announcement is kept as a draft row and Confirm acts on
that row, once: a second press is told it has already been sent or scheduled.

Another feature hands an announcement it wrote to this preview through the step
``AnnounceStep.PREPARED`` (events' "Announce it"): see `prompt_prepared`.
"""

from __future__ import annotations

from datetime import datetime, time

from telegram import InlineKeyboardButton
from telegram.constants import ParseMode
from telegram.error import BadRequest, RetryAfter

from bot.broadcasts import jobs
from bot.broadcasts.audiences import Audience, audience_names, count_recipients
from bot.broadcasts.lifecycle import (
    Plan,
    TimeHasPassed,
    confirm_announcement,
    discard_draft,
    save_draft,
)
from bot.broadcasts.schedules import WEEKDAYS, next_weekly_run, parse_weekly, weekly
from bot.broadcasts.steps import AnnounceButton, AnnounceStep
from bot.delivery.limits import seconds_of
from bot.delivery.outbox import QuietHours
from bot.errors import InvalidInput, StaleAction
from bot.i18n import format_moment
from bot.models import Announcement
from bot.models.base import utcnow
from bot.tg.conversation import Turn, inline

# ----- the answers so far -------------------------------------------------------------------


def _plan(turn: Turn) -> Plan:
    data = turn.data
    text = data.get("text")
    if not isinstance(text, str):
        raise StaleAction("That announcement is no longer in progress. Send /announce.")
    when = data.get("when")
    send_at = datetime.fromisoformat(str(data["send_at"])) if when == "at" else None
    recurrence = (
        weekly(data.get("days", []), time.fromisoformat(str(data["time"])))
        if when == "weekly"
        else None
    )
    return Plan(
        text=text,
        photo_file_id=data.get("photo"),
        audience=Audience(tuple(data.get("areas", [])), tuple(data.get("topics", []))),
        urgent=bool(data.get("urgent")),
        send_at=send_at,
        recurrence=recurrence,
    )


# ----- /announce: preview and confirm ------------------------------------------------------

SHORT_FLOOD_WAIT = 2.0  # seconds of Telegram's flood control the preview waits out, once


async def _show_rendered(turn: Turn, text: str, photo: str | None) -> None:
    """Send the announcement to the staff member exactly as residents will get it.

    Sent now, not after the turn, because Telegram's answer decides the next step: a 400
    (broken formatting, too long, a photo it will not take) goes back to the staff member
    before anything is sent to residents.
    """
    # This runs inside the turn's transaction: never wait out a long flood control here
    # (on SQLite that would hold up every other chat); ask the staff member to try again.
    # A 429 of a second or so (a button pressed right after the last message) is waited
    # out once: the limiter has learnt it, so the second try waits for its slot.
    for attempt in range(2):
        try:
            if photo:
                await turn.bot.send_photo(
                    turn.chat_id, photo, caption=text, parse_mode=ParseMode.HTML
                )
            else:
                await turn.bot.send_message(turn.chat_id, text, parse_mode=ParseMode.HTML)
            return
        except RetryAfter as flood:
            seconds = seconds_of(flood.retry_after)
            if attempt or seconds > SHORT_FLOOD_WAIT:
                raise InvalidInput(
                    "Telegram is busy. Please try again in {seconds} seconds.",
                    seconds=max(1, round(seconds)),
                ) from None


async def show_preview(turn: Turn) -> None:
    """Show the announcement as residents will see it, then the count and Confirm."""
    staff = await turn.staff()
    assert staff is not None
    _ = turn._
    plan = _plan(turn)
    try:
        await _show_rendered(turn, plan.text, plan.photo_file_id)
    except BadRequest as refused:
        turn.keep(ready=True)
        turn.go(AnnounceStep.TEXT)
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
    draft = await save_draft(turn.session, plan, staff.id, replaces=turn.data.get("draft_id"))
    turn.go(AnnounceStep.CONFIRM)
    turn.keep(draft_id=draft.id, ready=True)
    await prompt_confirm(turn)


async def prompt_prepared(turn: Turn) -> None:
    """The preview of an announcement another feature wrote (events' "Announce it").

    Entered with the answers ``text``, ``photo``, ``areas``, ``topics`` and ``replaces``
    (the draft of an /announce already under way, dropped). It goes now and is not
    urgent; every Change button works as in /announce.
    """
    staff = await turn.require_staff()
    given = turn.data
    replaces = given.get("replaces")
    if isinstance(replaces, int):
        await discard_draft(turn.session, replaces, staff.id)
    answers = {
        "text": given.get("text"),
        "photo": given.get("photo"),
        "areas": list(given.get("areas") or []),
        "topics": list(given.get("topics") or []),
    }
    turn.go(AnnounceStep.URGENT, {**answers, "when": "now", "urgent": False, "ready": True})
    await show_preview(turn)


async def describe_when(turn: Turn, row: Announcement) -> str:
    """When an announcement goes, in the staff member's words (weekly ones: the next run)."""
    _ = turn._
    tz, language = turn.settings.tz, turn.language
    if row.recurrence:
        days, at = parse_weekly(row.recurrence)
        schedule = _("every {days} at {time}").format(
            days=", ".join(_(WEEKDAYS[d]) for d in days), time=f"{at:%H:%M}"
        )
        upcoming = row.next_run_at or next_weekly_run(row.recurrence, utcnow(), tz)
        return (
            schedule + " " + _("(next: {when})").format(when=format_moment(upcoming, tz, language))
        )
    if row.send_at is not None:
        return format_moment(row.send_at, tz, language)
    return _("now")


async def describe_audience(turn: Turn, row: Announcement) -> list[str]:
    """An announcement's neighbourhoods and topics, a line each ("all" when none)."""
    _ = turn._
    areas, topics = await audience_names(turn.session, Audience.of(row), turn.language)
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
    count = await count_recipients(turn.session, Audience.of(row))
    later = row.recurrence is not None or row.send_at is not None
    lines = [
        _("Above is the announcement exactly as residents will see it."),
        *await describe_audience(turn, row),
        _("When: {value}").format(value=await describe_when(turn, row)),
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
        rows.append([turn.button(confirm, AnnounceButton.CONFIRM, row.id, anywhere=True)])
    rows += [
        [
            turn.button(_("Change text"), AnnounceButton.EDIT, "text"),
            turn.button(_("Change audience"), AnnounceButton.EDIT, "audience"),
        ],
        [
            turn.button(_("Change time"), AnnounceButton.EDIT, "when"),
            turn.button(_("Change urgency"), AnnounceButton.EDIT, "urgent"),
        ],
        [turn.button(_("Cancel"), AnnounceButton.DISCARD, row.id, anywhere=True)],
    ]
    turn.reply("\n".join(lines), inline(rows))


_EDIT_STEPS = {
    "text": AnnounceStep.TEXT,
    "audience": AnnounceStep.AREAS,
    "when": AnnounceStep.WHEN,
    "urgent": AnnounceStep.URGENT,
}


async def handle_confirm(turn: Turn) -> None:
    """At the preview: a Change button (Confirm and Cancel work from anywhere)."""
    if await turn.staff_or_stop() is None:
        return
    press = turn.press
    if press is None:
        raise InvalidInput("Please press Confirm or Cancel under the preview.")
    if press.action != AnnounceButton.EDIT or press.arg(0) not in _EDIT_STEPS:
        raise StaleAction("That button no longer works.")
    turn.answer_press()
    turn.edit_buttons(None)
    turn.go(_EDIT_STEPS[press.arg(0)])
    await turn.prompt_current()


def _previewing(turn: Turn, announcement_id: int) -> bool:
    return turn.step == AnnounceStep.CONFIRM and turn.data.get("draft_id") == announcement_id


async def on_confirm(turn: Turn) -> None:
    """Confirm: send the previewed announcement now, or schedule it - once."""
    staff = await turn.require_staff()
    assert turn.press is not None
    announcement_id = turn.press.int_arg(0)
    _ = turn._
    settings = turn.settings
    try:
        outcome = await confirm_announcement(
            turn.session,
            announcement_id,
            staff,
            now=utcnow(),
            quiet_hours=QuietHours.of(settings),
            tz=settings.tz,
            is_current=_previewing(turn, announcement_id),
        )
    except TimeHasPassed as passed:
        turn.answer_press()
        turn.edit_buttons(None)
        turn.go(AnnounceStep.AT)
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
    await discard_draft(turn.session, announcement_id, staff.id)
    turn.answer_press()
    turn.edit_buttons(None)
    if _previewing(turn, announcement_id):
        turn.end()
    turn.reply(turn._("Cancelled. Nothing has been sent."))
