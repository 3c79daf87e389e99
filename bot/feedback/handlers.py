"""Telegram side of feedback: category, description, photos, location, confirm; My reports."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from bot.errors import InvalidInput, StaleAction
from bot.feedback import service as feedback
from bot.feedback.screening import mentions_any, sounds_unhappy
from bot.i18n import Gettext
from bot.tg.conversation import Step, Turn, inline, pairs
from bot.tg.menu import main_menu

FEEDBACK = "feedback"


def _draft(turn: Turn) -> feedback.ReportDraft:
    raw = turn.data.get("draft")
    if not isinstance(raw, dict):
        raise StaleAction("That report is no longer in progress.")
    raw = dict(raw)
    raw["photos"] = [tuple(p) for p in raw.get("photos", [])]
    return feedback.ReportDraft(**raw)


def _keep(turn: Turn, draft: feedback.ReportDraft) -> None:
    turn.data["draft"] = asdict(draft)
    turn.touch()


def _local(turn: Turn, moment: datetime) -> str:
    return moment.astimezone(turn.settings.tz).strftime("%d %b %Y %H:%M")


async def start_feedback(turn: Turn) -> None:
    """Give feedback: first, what is it about?"""
    turn.go("fb_category", {})
    await prompt_category(turn)


async def prompt_category(turn: Turn) -> None:
    """Ask for the category."""
    _ = turn._
    buttons = [turn.button(_(label), "cat", code) for code, label in feedback.CATEGORIES.items()]
    turn.reply(
        _("What is your feedback about? (Send /cancel to stop at any time.)"),
        inline(pairs(buttons)),
    )


async def handle_category(turn: Turn) -> None:
    """Take the category from its button."""
    if turn.press is None or turn.press.action != "cat":
        raise InvalidInput("Please choose a category with the buttons.")
    category = turn.press.arg(0)
    if category not in feedback.CATEGORIES:
        raise StaleAction("That button no longer works.")
    turn.answer_press()
    turn.go("fb_description", {"draft": asdict(feedback.ReportDraft(category=category))})
    await prompt_description(turn)


async def prompt_description(turn: Turn) -> None:
    """Ask what is happening; photos and a location are welcome."""
    _ = turn._
    draft = _draft(turn)
    if not draft.description:
        turn.reply(
            _(
                "{category}: please tell us what is happening, in your own words. You can also "
                "send photos and share a location."
            ).format(category=_(feedback.CATEGORIES[draft.category]))
        )
        return
    turn.reply(
        _("You can add more words, photos or a location. When you are ready, press Continue."),
        inline([[turn.button(_("Continue"), "next")]]),
    )


async def handle_description(turn: Turn) -> None:
    """Take words, photos or a location; Continue when there is a description."""
    _ = turn._
    draft = _draft(turn)
    if turn.press is not None:
        await _on_description_press(turn, draft)
        return
    message = turn.message
    if message is None:
        raise InvalidInput("Please type what is happening.")
    added = []
    if message.document is not None:
        # Phones often send a picture "as a file"; anything else cannot be attached.
        if not (message.document.mime_type or "").startswith("image/"):
            raise InvalidInput(
                "Sorry, I can only attach photos, not other files. Please send it as a photo."
            )
        feedback.add_photo(draft, message.document.file_id, message.document.file_unique_id)
        added.append(_("Photo added."))
    if message.photo:
        largest = message.photo[-1]
        feedback.add_photo(draft, largest.file_id, largest.file_unique_id)
        added.append(_("Photo added."))
    if message.location:
        feedback.set_location(draft, message.location.latitude, message.location.longitude)
        added.append(_("Location added."))
    if turn.text is not None:
        feedback.add_description(draft, turn.text)
        if mentions_any(turn.text, turn.settings.emergency_words):
            draft.urgent = True
        added.append(_("Got it."))
    if not added:
        raise InvalidInput(
            "Sorry, I can only take text, photos or a location here. Please type what is happening."
        )
    _keep(turn, draft)
    if (
        turn.text is not None
        and draft.category != "complaint"
        and not turn.data.get("complaint_offered")
        and sounds_unhappy(turn.text)
    ):
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
                    [turn.button(_("Yes, make it a complaint"), "complain", "yes")],
                    [turn.button(_("No, keep it as it is"), "complain", "no")],
                ]
            ),
        )
        return
    if not draft.description:
        turn.reply(
            " ".join(added) + " " + _("Now please type a few words about what is happening.")
        )
        return
    turn.reply(" ".join(added))
    await prompt_description(turn)


async def _on_description_press(turn: Turn, draft: feedback.ReportDraft) -> None:
    press = turn.press
    assert press is not None
    if press.action == "complain":
        turn.answer_press()
        if press.arg(0) == "yes":
            draft.category = "complaint"
            _keep(turn, draft)
            turn.reply(turn._("This will be logged as a complaint."))
        await prompt_description(turn)
        return
    if press.action != "next":
        raise StaleAction("That button no longer works.")
    if not draft.description:
        turn.answer_press()
        raise InvalidInput("Please type a few words about what is happening first.")
    turn.answer_press()
    if turn.resident is not None and turn.resident.display_name:
        turn.go("fb_share_name")
        await prompt_share_name(turn)
    else:
        turn.go("fb_confirm")
        await prompt_confirm(turn)


async def prompt_share_name(turn: Turn) -> None:
    """Ask whether staff may see the resident's name."""
    _ = turn._
    turn.reply(
        _("Can we show your name to the staff who deal with this?"),
        inline(
            [
                [turn.button(_("Yes, share my name"), "share", "yes")],
                [turn.button(_("No, keep me anonymous"), "share", "no")],
            ]
        ),
    )


async def handle_share_name(turn: Turn) -> None:
    """Take the answer from its button."""
    if turn.press is None or turn.press.action != "share":
        raise InvalidInput("Please answer with the buttons: share your name, or stay anonymous.")
    draft = _draft(turn)
    draft.shares_name = turn.press.arg(0) == "yes"
    _keep(turn, draft)
    turn.answer_press()
    turn.go("fb_confirm")
    await prompt_confirm(turn)


async def prompt_confirm(turn: Turn) -> None:
    """Show the report back and ask to send it."""
    _ = turn._
    draft = _draft(turn)
    lines = [
        _("Please check your report:"),
        _("Type: {value}").format(value=_(feedback.CATEGORIES[draft.category])),
        _("What is happening: {value}").format(value=draft.description),
    ]
    if draft.photos:
        lines.append(_("Photos: {count}").format(count=len(draft.photos)))
    if draft.latitude is not None:
        lines.append(_("Location: shared"))
    lines.append(
        _("Your name shared with staff: yes")
        if draft.shares_name
        else _("Your name shared with staff: no")
    )
    turn.reply(
        "\n".join(lines),
        inline(
            [
                [turn.button(_("Send"), "send")],
                [turn.button(_("Add more"), "edit"), turn.button(_("Cancel"), "cancel")],
            ]
        ),
    )


async def handle_confirm(turn: Turn) -> None:
    """Send the report, go back to add more, or cancel."""
    _ = turn._
    if turn.press is None:
        raise InvalidInput("Please press Send, Add more or Cancel.")
    action = turn.press.action
    turn.answer_press()
    if action == "edit":
        turn.go("fb_description")
        await prompt_description(turn)
        return
    if action == "cancel":
        turn.end()
        turn.reply(_("Cancelled. Nothing was sent."), main_menu(_))
        return
    if action != "send":
        raise StaleAction("That button no longer works.")
    assert turn.resident is not None
    report = await feedback.submit_report(
        turn.session,
        turn.resident,
        _draft(turn),
        tz=turn.settings.tz,
        region=turn.settings.bank_holiday_region,
    )
    turn.end()
    lines = [_("Thank you. Your reference is {reference}.").format(reference=report.reference)]
    if report.is_complaint and report.ack_due_on and report.response_due_on:
        lines.append(
            _(
                "This is a stage 1 complaint. We will acknowledge it by {ack} and give you our "
                "answer by {respond} at the latest."
            ).format(ack=_date(report.ack_due_on), respond=_date(report.response_due_on))
        )
    if report.hazard_kind == "emergency" and report.make_safe_due_at:
        lines.append(
            _(
                "This has been marked urgent. If anyone is in danger, call 999 now. We must "
                "make it safe by {due}."
            ).format(due=_local(turn, report.make_safe_due_at))
        )
    elif report.hazard_kind == "damp_mould" and report.investigate_due_on:
        lines.append(
            _("We will investigate the damp and mould by {due}.").format(
                due=_date(report.investigate_due_on)
            )
        )
    lines.append(_("You can follow it under My reports."))
    turn.reply("\n\n".join(lines), main_menu(_))


def status_words(_: Gettext, status: str) -> str:
    """A report's status in plain words (the code itself if it is one we do not know)."""
    words = feedback.STATUS_WORDS.get(status)
    return _(words) if words else status


def _date(day: object) -> str:
    return day.strftime("%d %b %Y") if hasattr(day, "strftime") else str(day)


async def show_my_reports(turn: Turn) -> None:
    """My reports: reference, type, status in plain words and dates."""
    _ = turn._
    assert turn.resident is not None
    reports = await feedback.reports_of(turn.session, turn.resident)
    if not reports:
        turn.reply(_("You have not sent any reports yet. Press Give feedback to start one."))
        return
    total = await feedback.count_reports_of(turn.session, turn.resident)
    blocks = []
    for report in reports:
        lines = [
            f"{report.reference} - {_(feedback.CATEGORIES.get(report.category, 'Other'))}",
            _("Sent: {date}").format(date=_local(turn, report.received_at)),
            _("Status: {status}").format(status=status_words(_, report.status)),
        ]
        if report.is_complaint and report.status in {"new", "acknowledged", "in_progress"}:
            if report.acknowledged_at is None and report.ack_due_on:
                lines.append(
                    _("Acknowledgement due by {date}").format(date=_date(report.ack_due_on))
                )
            if report.response_due_on:
                lines.append(_("Answer due by {date}").format(date=_date(report.response_due_on)))
        blocks.append("\n".join(lines))
    header = _("Your reports (newest first):")
    if total > len(reports):
        header = _("Your {shown} most recent reports of {total}:").format(
            shown=len(reports), total=total
        )
    turn.reply(header + "\n\n" + "\n\n".join(blocks))


STEPS: dict[str, Step] = {
    "fb_category": Step(FEEDBACK, prompt_category, handle_category),
    "fb_description": Step(FEEDBACK, prompt_description, handle_description),
    "fb_share_name": Step(FEEDBACK, prompt_share_name, handle_share_name),
    "fb_confirm": Step(FEEDBACK, prompt_confirm, handle_confirm),
}


async def offer_complaint(turn: Turn, text: str) -> None:
    """Outside any report, words of dissatisfaction: offer to log them as a complaint."""
    turn.go("fb_offer", {"text": text})
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
                [turn.button(_("Yes, make a complaint"), "offer", "yes")],
                [turn.button(_("No, thank you"), "offer", "no")],
            ]
        ),
    )


async def handle_offer(turn: Turn) -> None:
    """Start a complaint with the words already given, or leave it."""
    if turn.press is None or turn.press.action != "offer":
        raise InvalidInput("Please answer with the buttons.")
    turn.answer_press()
    if turn.press.arg(0) != "yes":
        turn.end()
        turn.reply(
            turn._("All right. Choose from the menu whenever you need us."), main_menu(turn._)
        )
        return
    draft = feedback.ReportDraft(category="complaint")
    feedback.add_description(draft, str(turn.data.get("text", "")))
    draft.urgent = mentions_any(draft.description, turn.settings.emergency_words)
    turn.go("fb_description", {"draft": asdict(draft), "complaint_offered": True})
    await prompt_description(turn)


STEPS["fb_offer"] = Step(FEEDBACK, prompt_offer, handle_offer)
