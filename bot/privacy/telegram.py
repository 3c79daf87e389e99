"""Telegram side of privacy: /mydata (a copy of everything held) and /forget (erasure,
after a confirmation that keeps what was under way if the resident says No)."""

from __future__ import annotations

from telegram import ReplyKeyboardRemove

from bot.errors import InvalidInput
from bot.events.notices import Notices
from bot.models.base import utcnow
from bot.privacy.erasure import erase_resident
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
    content = await subject_access_file(turn.session, turn.resident)
    turn.send_document(content, "my-data.json", _("Everything we hold about you."))


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


async def prompt_forget(turn: Turn) -> None:
    """Are you sure?"""
    _ = turn._
    turn.reply(
        _(
            "This erases your name, your settings and the link between you and your reports. "
            "Ordinary reports lose their words, photos and location too; we keep only their "
            "type, neighbourhood and dates for our statistics. Complaints keep their words, "
            "without your name, because the law requires us to keep a record of them. "
            "Your places at upcoming events are given up. "
            "This cannot be undone. Erase your data?"
        ),
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
        await erase_resident(turn.session, turn.resident, Notices.of(turn.settings), now=utcnow())
        turn.end()
        turn.reply(
            _(
                "Your data has been erased. Thank you for using the service. Send /start to "
                "join again at any time."
            ),
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
