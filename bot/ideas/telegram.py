"""Ideas in Telegram, for residents: /ideas, proposing an idea (title, what and why, an
optional photo, whether to show their name, then Send), browsing the neighbourhood's
approved ideas (newest or most backed first) and backing one, or withdrawing the backing.

Proposing is a conversation: each answer is checked as it comes (``bot.ideas.proposing``);
a refusal rolls the turn back and asks again, so nothing typed before is lost. Nothing is
saved until Send. The buttons under /ideas and under each idea work at any step
(revision 0) and check the idea afresh (``bot.ideas.backing``).
"""

from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, Message

from bot.errors import InvalidInput, StaleAction
from bot.ideas import backing, proposing
from bot.ideas.backing import MOST_BACKED, NEWEST, Shown
from bot.ideas.steps import IDEAS_FLOW, IdeaButton, IdeaPress, IdeaStep
from bot.ideas.words import ANSWER_WORDS, STATUS_WORDS
from bot.models.base import utcnow
from bot.models.idea import APPROVED, BODY_MAX, DECLINED, TITLE_MAX
from bot.tg.conversation import Command, Flow, Step, Turn, TurnHandler, inline

log = logging.getLogger(__name__)


# ----- /ideas and the lists ----------------------------------------------------------------------


def _choices(turn: Turn) -> list[list[InlineKeyboardButton]]:
    _ = turn._
    return [
        [turn.button(_("Propose an idea"), IdeaPress.PROPOSE, anywhere=True)],
        [
            turn.button(_("Newest ideas"), IdeaPress.LIST, NEWEST, anywhere=True),
            turn.button(_("Most backed"), IdeaPress.LIST, MOST_BACKED, anywhere=True),
        ],
        [turn.button(_("My ideas"), IdeaPress.MINE, anywhere=True)],
    ]


async def _ideas_command(turn: Turn, _args: str) -> None:
    """/ideas: what ideas are, and the ways in."""
    _ = turn._
    turn.onboarded()
    turn.reply(
        _(
            "Ideas for your neighbourhood: propose one, or back your neighbours' ideas. "
            "Staff check each idea before it is shown, and answer the ones residents back."
        ),
        inline(_choices(turn)),
    )
    if turn.step is not None:
        await turn.prompt_current()


def _idea_text(turn: Turn, shown: Shown) -> str:
    _ = turn._
    idea = shown.idea
    by = (
        _("Proposed by {name}").format(name=shown.name)
        if shown.name
        else _("Proposed by a neighbour")
    )
    lines = [
        f"\U0001f4a1 {idea.title}",
        idea.body,
        f"{by} \u00b7 " + _("Residents backing it: {count}").format(count=shown.backers),
    ]
    if idea.answer:
        lines.append(
            _("Staff's answer: {answer}. {reason}").format(
                answer=_(ANSWER_WORDS[idea.answer]), reason=idea.answer_reason or ""
            )
        )
    if shown.backed:
        lines.append(_("You back this idea."))
    return "\n\n".join(lines)


def _back_button(turn: Turn, shown: Shown) -> list[list[InlineKeyboardButton]]:
    _ = turn._
    if shown.backed:
        return [
            [
                turn.button(
                    _("Withdraw my backing"), IdeaPress.WITHDRAW, shown.idea.id, anywhere=True
                )
            ]
        ]
    return [[turn.button(_("Back this idea"), IdeaPress.BACK, shown.idea.id, anywhere=True)]]


async def on_list(turn: Turn) -> None:
    """Newest ideas / Most backed: the neighbourhood's approved ideas, each with its button."""
    _ = turn._
    resident = turn.onboarded()
    assert turn.press is not None
    order = MOST_BACKED if turn.press.arg(0) == MOST_BACKED else NEWEST
    turn.answer_press()
    if resident.neighbourhood_id is None:
        raise proposing.NoNeighbourhood()
    ideas = await backing.browse(turn.session, resident, order)
    if not ideas:
        turn.reply(
            _("There are no ideas for your neighbourhood yet. Why not propose one?"),
            inline([[turn.button(_("Propose an idea"), IdeaPress.PROPOSE, anywhere=True)]]),
        )
        return
    for shown in ideas:
        if shown.idea.photo_file_id:
            turn.send_photo(shown.idea.photo_file_id)
        turn.reply(_idea_text(turn, shown), inline(_back_button(turn, shown)))
    log.info("ideas listed for resident_id=%s: %s", resident.id, len(ideas))


async def on_mine(turn: Turn) -> None:
    """My ideas: the resident's own, with where each has got to."""
    _ = turn._
    resident = turn.onboarded()
    turn.answer_press()
    ideas = await backing.proposed_by(turn.session, resident)
    if not ideas:
        turn.reply(_("You haven't proposed an idea yet."))
        return
    lines = []
    for shown in ideas:
        idea = shown.idea
        where = _(ANSWER_WORDS[idea.answer]) if idea.answer else _(STATUS_WORDS[idea.status])
        line = f"\u2022 {idea.title}: {where}"
        if idea.status == APPROVED:
            line += " \u00b7 " + _("Residents backing it: {count}").format(count=shown.backers)
        if idea.status == DECLINED and idea.decline_reason:
            line += " \u00b7 " + idea.decline_reason
        lines.append(line)
    turn.reply(_("Your ideas:") + "\n" + "\n".join(lines))


async def on_back(turn: Turn) -> None:
    """Back this idea: once per resident; the button becomes Withdraw."""
    resident = turn.onboarded()
    assert turn.press is not None
    shown = await backing.back(turn.session, turn.press.int_arg(0), resident, now=utcnow())
    turn.answer_press(turn._("Thank you for backing this idea."))
    turn.edit_buttons(inline(_back_button(turn, shown)))
    turn.reply(
        turn._("You back \u201c{title}\u201d. Residents backing it: {count}.").format(
            title=shown.idea.title, count=shown.backers
        )
    )


async def on_withdraw(turn: Turn) -> None:
    """Withdraw my backing: the button becomes Back this idea again."""
    resident = turn.onboarded()
    assert turn.press is not None
    shown = await backing.withdraw(turn.session, turn.press.int_arg(0), resident)
    turn.answer_press(turn._("Backing withdrawn"))
    turn.edit_buttons(inline(_back_button(turn, shown)))
    turn.reply(turn._("You no longer back \u201c{title}\u201d.").format(title=shown.idea.title))


# ----- proposing ---------------------------------------------------------------------------------


async def on_propose(turn: Turn) -> None:
    """Propose an idea: start, unless something else is under way."""
    resident = turn.onboarded()
    turn.answer_press()
    if turn.step is not None:
        turn.reply(
            turn._(
                "You haven't finished what you started. Carry on below, or send /cancel to stop."
            )
        )
        await turn.prompt_current()
        return
    if resident.neighbourhood_id is None:
        raise proposing.NoNeighbourhood()
    turn.go(IdeaStep.TITLE, {})
    await turn.prompt_current()


async def prompt_title(turn: Turn) -> None:
    turn.reply(
        turn._(
            "What is your idea? Give it a short title, up to {limit} characters "
            "(send /cancel to stop)."
        ).format(limit=TITLE_MAX)
    )


async def handle_title(turn: Turn) -> None:
    turn.keep(title=proposing.check_title(_typed(turn)))
    await _next(turn, IdeaStep.BODY)


async def prompt_body(turn: Turn) -> None:
    turn.reply(
        turn._(
            "What is it, and why would it help your neighbourhood? Up to {limit} characters."
        ).format(limit=BODY_MAX)
    )


async def handle_body(turn: Turn) -> None:
    turn.keep(body=proposing.check_body(_typed(turn)))
    await _next(turn, IdeaStep.PHOTO)


def _typed(turn: Turn) -> str:
    """The text of a message (a press or a photo here is not an answer)."""
    message = turn.message
    if turn.press is not None or message is None or message.text is None:
        raise InvalidInput("Please type your answer.")
    return message.text


async def _next(turn: Turn, step: IdeaStep) -> None:
    """On to ``step``; after a change from the check, straight back to it."""
    await turn.go_on(step, _to_confirm)


async def prompt_photo(turn: Turn) -> None:
    _ = turn._
    turn.reply(
        _("You can send one photo (of the place, or an example), or press No photo."),
        inline([[turn.button(_("No photo"), IdeaButton.NO_PHOTO)]]),
    )


def _photo_of(message: Message) -> str | None:
    """The photo's file id (the largest size; an image sent as a file counts), if any."""
    if message.document is not None:
        if not (message.document.mime_type or "").startswith("image/"):
            raise InvalidInput("Sorry, I can only take a photo here, not other files.")
        return message.document.file_id
    return message.photo[-1].file_id if message.photo else None


async def handle_photo(turn: Turn) -> None:
    if turn.press is not None:
        if turn.press.action != IdeaButton.NO_PHOTO:
            raise StaleAction("That button is out of date.")
        turn.answer_press()
        turn.keep(photo=None)
    else:
        message = turn.message
        photo = _photo_of(message) if message is not None else None
        if photo is None:
            raise InvalidInput("Please send a photo, or press No photo.")
        turn.keep(photo=photo, album=message.media_group_id if message else None)
    resident = turn.onboarded()
    if resident.display_name and not turn.data.get("ready"):
        turn.go(IdeaStep.SHARE_NAME)
        await turn.prompt_current()
        return
    await _to_confirm(turn)


def _rest_of_album(turn: Turn) -> bool:
    """The other photos of an album sent at the photo step: one photo is kept, the rest are
    passed over quietly rather than refused one by one."""
    message = turn.message
    album = turn.data.get("album")
    return message is not None and album is not None and message.media_group_id == album


async def prompt_share_name(turn: Turn) -> None:
    _ = turn._
    name = (turn.resident.display_name if turn.resident else None) or ""
    turn.reply(
        _("Shall we show your name ({name}) with your idea? Your neighbours will see it.").format(
            name=name
        ),
        inline(
            [
                [turn.button(_("Yes, show my name"), IdeaButton.SHARE, "yes")],
                [turn.button(_("No, keep me anonymous"), IdeaButton.SHARE, "no")],
            ]
        ),
    )


async def handle_share_name(turn: Turn) -> None:
    if _rest_of_album(turn):
        return
    if turn.press is None or turn.press.action != IdeaButton.SHARE:
        raise InvalidInput("Please answer with the buttons: show your name, or stay anonymous.")
    turn.answer_press()
    turn.keep(share=turn.press.arg(0) == "yes")
    await _to_confirm(turn)


async def _to_confirm(turn: Turn) -> None:
    turn.keep(ready=True)
    turn.go(IdeaStep.CONFIRM)
    await turn.prompt_current()


async def prompt_confirm(turn: Turn) -> None:
    """The idea as staff will see it, with Send and Start again."""
    _ = turn._
    data = turn.data
    name = turn.resident.display_name if turn.resident else None
    shown_as = (
        _("Shown with your name ({name}).").format(name=name)
        if data.get("share") and name
        else _("Shown without your name.")
    )
    photo = _("With a photo.") if data.get("photo") else _("No photo.")
    turn.reply(
        "\n\n".join(
            [
                _("Please check your idea:"),
                f"\U0001f4a1 {data.get('title', '')}",
                str(data.get("body", "")),
                f"{photo} {shown_as}",
                _("Staff check each idea before your neighbours see it."),
            ]
        ),
        inline(
            [
                [turn.button(_("Send"), IdeaButton.SEND)],
                [turn.button(_("Start again"), IdeaButton.AGAIN)],
            ]
        ),
    )


async def handle_confirm(turn: Turn) -> None:
    _ = turn._
    if _rest_of_album(turn):
        return
    press = turn.press
    if press is None or press.action not in (IdeaButton.SEND, IdeaButton.AGAIN):
        raise InvalidInput("Please press Send, or Start again.")
    turn.answer_press()
    if press.action == IdeaButton.AGAIN:
        turn.go(IdeaStep.TITLE, {})
        await turn.prompt_current()
        return
    resident = turn.onboarded()
    data = turn.data
    idea = await proposing.propose(
        turn.session,
        resident,
        title=str(data.get("title", "")),
        body=str(data.get("body", "")),
        photo_file_id=data.get("photo") or None,
        shares_name=bool(data.get("share")),
        now=utcnow(),
    )
    turn.edit_buttons(None)
    turn.end()
    turn.reply(
        _(
            "Thank you! Your idea \u201c{title}\u201d is sent. Staff will check it before "
            "your neighbours see it, and we'll tell you what they decide."
        ).format(title=idea.title),
        turn.menu(),
    )


STEPS: dict[str, Step] = {
    IdeaStep.TITLE: Step(IDEAS_FLOW, prompt_title, handle_title),
    IdeaStep.BODY: Step(IDEAS_FLOW, prompt_body, handle_body),
    IdeaStep.PHOTO: Step(IDEAS_FLOW, prompt_photo, handle_photo),
    IdeaStep.SHARE_NAME: Step(IDEAS_FLOW, prompt_share_name, handle_share_name),
    IdeaStep.CONFIRM: Step(IDEAS_FLOW, prompt_confirm, handle_confirm),
}

PRESSES: dict[str, TurnHandler] = {
    IdeaPress.PROPOSE: on_propose,
    IdeaPress.LIST: on_list,
    IdeaPress.MINE: on_mine,
    IdeaPress.BACK: on_back,
    IdeaPress.WITHDRAW: on_withdraw,
}

FLOW = Flow(
    IDEAS_FLOW,
    steps=STEPS,
    presses=PRESSES,
    commands={"ideas": Command(_ideas_command, audience="resident")},
)
