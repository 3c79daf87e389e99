"""Feedback in Telegram, the resident giving it: category, description (for repairs and
estate with "is it in a shared area or inside your home?"), photos, location, their
name, confirm; and a complaint offered when they sound unhappy.

The shared-area question is asked with the description prompt, as buttons, rather than
as a step of its own: most repairs are inside the home, and those residents just type as
before, which keeps the report private (the default). Pressing a shared area before
writing shows the open reports of the same kind in the resident's neighbourhood first
(``bot.feedback.telegram_backing``), with "This is mine too" instead of a new report and
"No, mine is different" to carry on. Once words are written the answer is only kept:
backing then would drop what they wrote.

After sending, My reports and answering a staff reply are ``telegram_follow_up``; staff's
side of a report (its buttons, /inbox, /view, replies) is ``telegram_staff``.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date

from telegram import Message

from bot.errors import InvalidInput, StaleAction
from bot.feedback.draft import (
    AREA_CATEGORIES,
    CATEGORIES,
    DESCRIPTION_MAX_LENGTH,
    HAZARD_CATEGORIES,
    SHARED_AREAS,
    ReportDraft,
    add_description,
    add_photo,
    check_area,
    set_location,
)
from bot.feedback.notify import StaffNotices, cut_to_fit
from bot.feedback.reports import submit_report
from bot.feedback.screening import mentions_any, sounds_unhappy
from bot.feedback.steps import FeedbackButton, FeedbackStep
from bot.feedback.telegram_backing import (
    area_noted,
    area_question,
    area_rows,
    handle_same,
    offer_same_kind,
    prompt_same,
)
from bot.i18n import Gettext, format_day, format_moment
from bot.models import Feedback
from bot.tg.conversation import Flow, Press, Step, Turn, inline, pairs
from bot.tg.formatting import utf16_len

FEEDBACK = "feedback"
# The description shown back before Send is cut to this (UTF-16 units, as Telegram counts)
# so the check fits one message; all of it is sent, and the resident is told so.
CONFIRM_SHOWN = 3000


def _draft(turn: Turn) -> ReportDraft:
    raw = turn.data.get("draft")
    if not isinstance(raw, dict):
        raise StaleAction("That report is no longer in progress.")
    raw = dict(raw)
    raw["photos"] = [tuple(p) for p in raw.get("photos", [])]
    return ReportDraft(**raw)


def _keep(turn: Turn, draft: ReportDraft) -> None:
    turn.data["draft"] = asdict(draft)
    turn.touch()


def _day(turn: Turn, day: date) -> str:
    return format_day(day, turn.language)


# ----- category ---------------------------------------------------------------------------------


async def start_feedback(turn: Turn) -> None:
    """Give feedback: first, what is it about?"""
    turn.go(FeedbackStep.CATEGORY, {})
    await prompt_category(turn)


async def prompt_category(turn: Turn) -> None:
    """Ask for the category."""
    _ = turn._
    buttons = [
        turn.button(_(label), FeedbackButton.CATEGORY, code) for code, label in CATEGORIES.items()
    ]
    turn.reply(
        _("What is your feedback about? (Send /cancel to stop at any time.)"),
        inline(pairs(buttons)),
    )


async def handle_category(turn: Turn) -> None:
    """Take the category from its button (coming back here keeps what was written)."""
    if turn.press is None or turn.press.action != FeedbackButton.CATEGORY:
        raise InvalidInput("Please choose a category with the buttons.")
    category = turn.press.arg(0)
    if category not in CATEGORIES:
        raise StaleAction("That button no longer works.")
    turn.answer_press()
    draft = _draft(turn) if "draft" in turn.data else ReportDraft(category=category)
    draft.category = category
    if category not in AREA_CATEGORIES:
        draft.shared_area = None
    turn.go(FeedbackStep.DESCRIPTION)
    _keep(turn, draft)
    await prompt_description(turn)


# ----- description, photos, location -----------------------------------------------------------


async def prompt_description(turn: Turn) -> None:
    """Ask what is happening; photos and a location are welcome."""
    _ = turn._
    draft = _draft(turn)
    back = [turn.button(_("« Back"), FeedbackButton.BACK)]
    areas = area_rows(turn, draft)
    if not draft.description:
        turn.reply(
            _(
                "{category}: please tell us what is happening, in your own words. You can also "
                "send photos and share a location."
            ).format(category=_(CATEGORIES[draft.category]))
            + area_question(turn, draft),
            inline([*areas, back]),
        )
        return
    turn.reply(
        _("You can add more words, photos or a location. When you are ready, press Continue."),
        inline([[turn.button(_("Continue"), FeedbackButton.NEXT)], *areas, back]),
    )


async def handle_description(turn: Turn) -> None:
    """Take words, photos or a location; Continue when there is a description."""
    _ = turn._
    draft = _draft(turn)
    if turn.press is not None:
        await _on_description_press(turn, turn.press, draft)
        return
    message = turn.message
    if message is None:
        raise InvalidInput("Please type what is happening.")
    added = []
    photo = sent_photo(message)
    if photo is not None:
        add_photo(draft, *photo)
        added.append(_("Photo added."))
    if message.location:
        set_location(draft, message.location.latitude, message.location.longitude)
        added.append(_("Location added."))
    words = turn.text
    # A photo's caption may be blank; a text message may not.
    if words is not None and (message.text is not None or words.strip()):
        add_description(draft, words)
        added.append(_("Got it."))
    if not added:
        raise InvalidInput(
            "Sorry, I can only take text, photos or a location here. Please type what is happening."
        )
    draft.note_awareness(message.date)
    _keep(turn, draft)
    album = message.media_group_id
    if album is not None and turn.data.get("album") == album:
        return  # the rest of a photo album: one answer for the whole album is enough
    turn.data["album"] = album
    if words and await _asked_about_danger(turn, draft, words):
        return
    if words and await _offered_complaint(turn, draft, words):
        return
    if not draft.description:
        turn.reply(
            " ".join(added) + " " + _("Now please type a few words about what is happening.")
        )
        return
    turn.reply(" ".join(added))
    await prompt_description(turn)


def sent_photo(message: Message) -> tuple[str, str] | None:
    """The photo in a message (Telegram's file id and unique id; the largest size), if any.

    Phones often send a picture "as a file": an image file counts; any other file is
    refused with InvalidInput, as it cannot be attached.
    """
    if message.document is not None:
        if not (message.document.mime_type or "").startswith("image/"):
            raise InvalidInput(
                "Sorry, I can only attach photos, not other files. Please send it as a photo."
            )
        return message.document.file_id, message.document.file_unique_id
    if message.photo:
        largest = message.photo[-1]
        return largest.file_id, largest.file_unique_id
    return None


async def _asked_about_danger(turn: Turn, draft: ReportDraft, words: str) -> bool:
    """Emergency words in a report: ask whether it is an emergency happening now (once)."""
    if (
        draft.urgent
        or turn.data.get("danger_asked")
        or draft.category not in HAZARD_CATEGORIES
        or not mentions_any(words, turn.settings.emergency_words)
    ):
        return False
    _ = turn._
    turn.data["danger_asked"] = True
    turn.touch()
    turn.reply(
        _(
            "Is this an emergency happening now - a danger to someone's health or safety? "
            "If so, we will treat your report as urgent."
        ),
        inline(
            [
                [turn.button(_("Yes, it is happening now"), FeedbackButton.DANGER, "yes")],
                [turn.button(_("No, it is not an emergency"), FeedbackButton.DANGER, "no")],
            ]
        ),
    )
    return True


async def _offered_complaint(turn: Turn, draft: ReportDraft, words: str) -> bool:
    """Words of dissatisfaction: offer to make the report a formal complaint (once)."""
    if draft.is_complaint or draft.category == "complaint" or turn.data.get("complaint_offered"):
        return False
    if not sounds_unhappy(words):
        return False
    _ = turn._
    turn.data["complaint_offered"] = True
    turn.touch()
    turn.reply(
        _(
            "It sounds like you are unhappy with our service. You have the right to make "
            "a formal complaint, which we must answer within set times. Would you like us "
            "to log this as a complaint?"
        ),
        inline(
            [
                [turn.button(_("Yes, make it a complaint"), FeedbackButton.COMPLAIN, "yes")],
                [turn.button(_("No, keep it as it is"), FeedbackButton.COMPLAIN, "no")],
            ]
        ),
    )
    return True


async def _on_description_press(turn: Turn, press: Press, draft: ReportDraft) -> None:
    _ = turn._
    if press.action == FeedbackButton.BACK:
        turn.answer_press()
        turn.go(FeedbackStep.CATEGORY)
        await prompt_category(turn)
        return
    if press.action == FeedbackButton.AREA:
        turn.answer_press()
        if draft.category not in AREA_CATEGORIES:
            raise StaleAction("That button no longer works.")
        draft.shared_area = check_area(press.arg(0))
        _keep(turn, draft)
        # Before anything is written, a shared area's open reports nearby come first.
        if not draft.description and await offer_same_kind(turn, draft):
            return
        turn.reply(area_noted(turn, draft))
        await prompt_description(turn)
        return
    if press.action == FeedbackButton.DANGER:
        turn.answer_press()
        turn.edit_buttons(None)
        if press.arg(0) == "yes":
            draft.urgent = True
            _keep(turn, draft)
            turn.reply(_("Thank you. Your report will be marked urgent."))
        await prompt_description(turn)
        return
    if press.action == FeedbackButton.COMPLAIN:
        turn.answer_press()
        turn.edit_buttons(None)
        if press.arg(0) == "yes":
            draft.is_complaint = True
            _keep(turn, draft)
            turn.reply(_("This will be logged as a complaint."))
        await prompt_description(turn)
        return
    if press.action != FeedbackButton.NEXT:
        raise StaleAction("That button no longer works.")
    if not draft.description:
        raise InvalidInput("Please type a few words about what is happening first.")
    turn.answer_press()
    if turn.resident is not None and turn.resident.display_name:
        turn.go(FeedbackStep.SHARE_NAME)
        await prompt_share_name(turn)
    else:
        turn.go(FeedbackStep.CONFIRM)
        await prompt_confirm(turn)


# ----- name, confirm -------------------------------------------------------------------------


async def prompt_share_name(turn: Turn) -> None:
    """Ask whether staff may see the resident's name."""
    _ = turn._
    turn.reply(
        _("Can we show your name to the staff who deal with this?"),
        inline(
            [
                [turn.button(_("Yes, share my name"), FeedbackButton.SHARE, "yes")],
                [turn.button(_("No, keep me anonymous"), FeedbackButton.SHARE, "no")],
                [turn.button(_("« Back"), FeedbackButton.BACK)],
            ]
        ),
    )


async def handle_share_name(turn: Turn) -> None:
    """Take the answer from its button."""
    if turn.press is None or turn.press.action not in (FeedbackButton.SHARE, FeedbackButton.BACK):
        raise InvalidInput("Please answer with the buttons: share your name, or stay anonymous.")
    turn.answer_press()
    if turn.press.action == FeedbackButton.BACK:
        turn.go(FeedbackStep.DESCRIPTION)
        await prompt_description(turn)
        return
    draft = _draft(turn)
    draft.shares_name = turn.press.arg(0) == "yes"
    turn.go(FeedbackStep.CONFIRM)
    _keep(turn, draft)
    await prompt_confirm(turn)


def _kind(_: Gettext, draft: ReportDraft) -> str:
    label = _(CATEGORIES[draft.category])
    if draft.is_complaint and draft.category != "complaint":
        return _("Complaint about: {category}").format(category=label)
    return label


async def prompt_confirm(turn: Turn) -> None:
    """Show the report back and ask to send it."""
    _ = turn._
    draft = _draft(turn)
    lines = [
        _("Please check your report:"),
        _("Type: {value}").format(value=_kind(_, draft)),
    ]
    if draft.category in AREA_CATEGORIES:
        area = SHARED_AREAS.get(draft.shared_area or "")
        lines.append(_("Where: {value}").format(value=_(area) if area else _("Inside my home")))
    lines.append(_("What is happening: {value}").format(value=_shown(_, draft.description)))
    if draft.photos:
        lines.append(_("Photos: {count}").format(count=len(draft.photos)))
    if draft.latitude is not None:
        lines.append(_("Location: shared"))
    if draft.urgent:
        lines.append(_("Urgent: yes"))
    lines.append(
        _("Your name shared with staff: yes")
        if draft.shares_name
        else _("Your name shared with staff: no")
    )
    turn.reply(
        "\n".join(lines),
        inline(
            [
                [turn.button(_("Send"), FeedbackButton.SEND)],
                [
                    turn.button(_("Add more"), FeedbackButton.EDIT),
                    turn.button(_("Cancel"), FeedbackButton.CANCEL),
                ],
            ]
        ),
    )


def _shown(_: Gettext, description: str) -> str:
    """The description as shown before Send: whole, or cut saying that all of it is sent."""
    if utf16_len(description) <= CONFIRM_SHOWN:
        return description
    note = _("(Shortened here: all {length} characters will be sent.)").format(
        length=f"{len(description):,}"
    )
    return cut_to_fit(description, CONFIRM_SHOWN) + "\n" + note


async def handle_confirm(turn: Turn) -> None:
    """Send the report, go back to add more, or cancel."""
    _ = turn._
    if turn.press is None:
        raise InvalidInput("Please press Send, Add more or Cancel.")
    action = turn.press.action
    turn.answer_press()
    if action == FeedbackButton.EDIT:
        turn.go(FeedbackStep.DESCRIPTION)
        await prompt_description(turn)
        return
    if action == FeedbackButton.CANCEL:
        turn.edit_buttons(None)
        turn.end()
        turn.reply(_("Your report was not sent."), turn.menu())
        return
    if action != FeedbackButton.SEND:
        raise StaleAction("That button no longer works.")
    assert turn.resident is not None
    report = await submit_report(
        turn.session,
        turn.resident,
        _draft(turn),
        tz=turn.settings.tz,
        region=turn.settings.bank_holiday_region,
        notices=StaffNotices.from_settings(turn.settings),
    )
    turn.edit_buttons(None)  # the report is sent: its Send button must not look open
    turn.end()
    turn.reply(_sent_words(turn, report), turn.menu())


def _sent_words(turn: Turn, report: Feedback) -> str:
    """The reference, and the legal dates the resident can hold us to."""
    _ = turn._
    lines = [_("Thank you. Your reference is {reference}.").format(reference=report.reference)]
    if report.is_complaint and report.ack_due_on and report.response_due_on:
        lines.append(
            _(
                "This is a formal complaint (stage 1 of 2). We will confirm we have received it "
                "by {ack}, and give you our full answer by {respond} at the latest."
            ).format(ack=_day(turn, report.ack_due_on), respond=_day(turn, report.response_due_on))
        )
    if report.hazard_kind == "emergency" and report.make_safe_due_at:
        lines.append(
            _(
                "This has been marked urgent. If anyone is in danger, call 999 now. We must "
                "make it safe by {due}."
            ).format(due=format_moment(report.make_safe_due_at, turn.settings.tz, turn.language))
        )
    if report.investigate_due_on:
        lines.append(
            _("We will investigate the damp and mould by {due}.").format(
                due=_day(turn, report.investigate_due_on)
            )
        )
    lines.append(_("You can follow it under My reports."))
    return "\n\n".join(lines)


# ----- a complaint offered outside a report ----------------------------------------------------


async def offer_complaint(turn: Turn, text: str) -> None:
    """Outside any report, words of dissatisfaction: offer to log them as a complaint."""
    fits = len(text.strip()) <= DESCRIPTION_MAX_LENGTH
    aware = turn.message.date.isoformat() if turn.message else None
    turn.go(FeedbackStep.OFFER, {"text": text if fits else "", "aware_at": aware})
    await prompt_offer(turn)


async def prompt_offer(turn: Turn) -> None:
    """Ask whether to make the resident's words a complaint."""
    _ = turn._
    turn.reply(
        _(
            "I'm sorry you are unhappy. Would you like to make a formal complaint? "
            "We will use what you just wrote as the start of it."
        ),
        inline(
            [
                [turn.button(_("Yes, make a complaint"), FeedbackButton.OFFER, "yes")],
                [turn.button(_("No, thank you"), FeedbackButton.OFFER, "no")],
            ]
        ),
    )


async def handle_offer(turn: Turn) -> None:
    """Start a complaint with the words already given, or leave it.

    More words before a button is pressed (a long text a client split into several
    messages) are kept with the first, up to the description's limit.
    """
    if turn.press is None and turn.message is not None and turn.message.text is not None:
        draft = ReportDraft(category="complaint", description=str(turn.data.get("text") or ""))
        add_description(draft, turn.message.text)
        turn.keep(text=draft.description)
        await prompt_offer(turn)
        return
    if turn.press is None or turn.press.action != FeedbackButton.OFFER:
        raise InvalidInput("Please answer with the buttons.")
    turn.answer_press()
    turn.edit_buttons(None)
    if turn.press.arg(0) != "yes":
        turn.end()
        turn.reply(turn._("All right. Choose from the menu whenever you need us."), turn.menu())
        return
    draft = ReportDraft(category="complaint", aware_at=turn.data.get("aware_at"))
    if turn.data.get("text"):
        add_description(draft, str(turn.data["text"]))
    turn.go(FeedbackStep.DESCRIPTION, {"draft": asdict(draft), "complaint_offered": True})
    await prompt_description(turn)


STEPS: dict[str, Step] = {
    FeedbackStep.CATEGORY: Step(FEEDBACK, prompt_category, handle_category),
    FeedbackStep.SAME: Step(FEEDBACK, prompt_same, handle_same),
    FeedbackStep.DESCRIPTION: Step(FEEDBACK, prompt_description, handle_description),
    FeedbackStep.SHARE_NAME: Step(FEEDBACK, prompt_share_name, handle_share_name),
    FeedbackStep.CONFIRM: Step(FEEDBACK, prompt_confirm, handle_confirm),
    FeedbackStep.OFFER: Step(FEEDBACK, prompt_offer, handle_offer),
}

FLOW = Flow("feedback", STEPS)
