"""Telegram side of privacy: /mydata (a copy of everything held) and /forget (erasure,
after a confirmation that keeps what was under way if the resident says No).

Before and after erasing, the resident is told plainly which reports are kept, why and
until when (``bot.privacy.evidence``), and that everything else is erased.
"""

from __future__ import annotations

from telegram import ReplyKeyboardRemove

from bot.errors import InvalidInput
from bot.i18n import format_day
from bot.models.base import utcnow
from bot.privacy.erasure import erase_resident
from bot.privacy.evidence import KeptReport, kept_reports, retention_months
from bot.privacy.steps import ForgetAnswer, ForgetButton, ForgetStep
from bot.privacy.subject_access import subject_access_file
from bot.tg.conversation import Command, Flow, Step, Turn, inline

FORGET = "forget"


async def send_my_data(turn: Turn) -> None:
    """/mydata: a JSON file of everything held about the resident."""
    _ = turn._
    if turn.resident is None:
        turn.reply(_("We hold no data about you."))
        return
    content = await subject_access_file(turn.session, turn.resident, _, now=utcnow())
    turn.send_document(
        content,
        "my-data.json",
        _("Everything we hold about you, staff's notes on your reports included."),
    )


async def ask_forget(turn: Turn) -> None:
    """/forget: ask for confirmation before erasing (what was under way is kept for No)."""
    if turn.resident is None:
        turn.reply(turn._("We hold no data about you."))
        return
    if turn.step == ForgetStep.CONFIRM:
        await prompt_forget(turn)
        return
    resume = {"step": turn.step, "data": turn.data} if turn.step else None
    turn.go(ForgetStep.CONFIRM, {"resume": resume})
    await prompt_forget(turn)


def kept_words(turn: Turn, kept: list[KeptReport]) -> str:
    """Which reports are kept, why and until when; "" when none are."""
    _ = turn._
    if not kept:
        return ""
    months = retention_months(turn.settings)
    lines = [
        _(
            "We must keep these reports as they are, with your words and photos: the law "
            "requires us to keep complaint and hazard records, and we may need them as "
            "evidence in a legal claim (UK GDPR Article 17(3)(b) and (e))."
        )
    ]
    for report in kept:
        kinds = [_("complaint")] if report.is_complaint else []
        if report.hazard_kind == "emergency":
            kinds.append(_("emergency hazard"))
        elif report.hazard_kind == "damp_mould":
            kinds.append(_("damp and mould hazard"))
        until = (
            _("kept until {date}").format(date=format_day(report.until, turn.language))
            if report.until is not None
            else _("kept until it is closed, then {months} months").format(months=months)
        )
        lines.append(f"• {report.reference} ({', '.join(kinds)}): {until}")
    lines.append(
        _(
            "After that they are anonymised. We can no longer message you about them here. "
            "Everything else is erased."
        )
    )
    return "\n".join(lines)


async def prompt_forget(turn: Turn) -> None:
    """Are you sure? (with what would be kept, and why)"""
    _ = turn._
    if turn.resident is None:
        turn.end()
        turn.reply(_("We hold no data about you."))
        return
    kept = await kept_reports(turn.session, turn.resident.id, turn.settings, utcnow())
    what = (
        _(
            "This erases your name, your settings and the link between you and your other "
            "reports. They lose their words, photos and location; we keep only their type, "
            "neighbourhood and dates for our statistics. Your places at upcoming events are "
            "given up."
        )
        if kept
        else _(
            "This erases your name, your settings and the link between you and your reports. "
            "They lose their words, photos and location; we keep only their type, "
            "neighbourhood and dates for our statistics. Your places at upcoming events are "
            "given up."
        )
    )
    question = _("This cannot be undone. Erase your data?")
    turn.reply(
        "\n\n".join(part for part in (what, kept_words(turn, kept), question) if part),
        inline(
            [
                [turn.button(_("Yes, erase my data"), ForgetButton.FORGET, ForgetAnswer.YES)],
                [turn.button(_("No, keep it"), ForgetButton.FORGET, ForgetAnswer.NO)],
            ]
        ),
    )


async def handle_forget(turn: Turn) -> None:
    """Erase on Yes; keep everything (and carry on where the resident was) on No."""
    _ = turn._
    if turn.press is None or turn.press.action != ForgetButton.FORGET:
        raise InvalidInput("Please press one of the buttons: erase, or keep your data.")
    choice = turn.press.arg(0)
    turn.answer_press()
    turn.edit_buttons(None)
    if choice == ForgetAnswer.YES and turn.resident is not None:
        kept = await erase_resident(turn.session, turn.resident, turn.settings, now=utcnow())
        turn.end()
        done = _("Your data has been erased.")
        goodbye = _("Thank you for using the service. Send /start to join again at any time.")
        turn.reply(
            "\n\n".join(part for part in (done, kept_words(turn, kept), goodbye) if part),
            ReplyKeyboardRemove(),
        )
        return
    resume = turn.data.get("resume")
    turn.reply(_("Nothing has been erased."), turn.menu())
    if isinstance(resume, dict) and resume.get("step") in turn.services.steps:
        turn.go(str(resume["step"]), dict(resume.get("data") or {}))
        await turn.prompt_current()
    else:
        turn.end()


async def _mydata_command(turn: Turn, _args: str) -> None:
    await send_my_data(turn)


async def _forget_command(turn: Turn, _args: str) -> None:
    await ask_forget(turn)


FLOW = Flow(
    "privacy",
    {ForgetStep.CONFIRM: Step(FORGET, prompt_forget, handle_forget)},
    commands={
        "mydata": Command(_mydata_command, audience="anyone"),
        "forget": Command(_forget_command, audience="anyone"),
    },
)
