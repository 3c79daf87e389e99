"""The words features speak to Telegram in: a Turn (one update being handled, the chat's
step and answers, the replies to send), its Press, and the Step, Command and Flow tables
each feature's Telegram shell exports (assembled by bot/tg/router.py).

Running a turn as one transaction is bot/tg/turns.py; sending its answers after the
commit, bot/tg/answers.py.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import flag_modified
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.constants import MessageLimit
from telegram.error import BadRequest

from bot.config import Settings
from bot.delivery.outbox import Button
from bot.errors import NotAllowed, StaleAction
from bot.i18n import N_, Gettext, gettext_for
from bot.models import ConversationState, Resident, StaffMember
from bot.staff.service import find_staff
from bot.text import whole_number
from bot.tg.answers import Answer, deliver_answers
from bot.tg.menu import main_menu
from bot.tg.services import Services

log = logging.getLogger(__name__)

# What someone who is not (or no longer) staff is told at a staff step or button.
ONLY_STAFF = N_("Sorry, that is only for staff.")


Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove


@dataclass(frozen=True)
class Press:
    """A pressed inline button: the action and its arguments."""

    action: str
    args: tuple[str, ...]

    def arg(self, index: int) -> str:
        """One argument, or StaleAction when the button did not carry it (forged data)."""
        if index >= len(self.args):
            raise StaleAction("That button no longer works.")
        return self.args[index]

    def int_arg(self, index: int) -> int:
        """A whole-number argument (an id, a page, a size), or StaleAction.

        Bounded to what an INTEGER column holds, so a forged huge number is a stale
        button, not a database error.
        """
        value = self.arg(index)
        if not (value.isascii() and value.isdecimal()) or int(value) >= 2**31:
            raise StaleAction("That button no longer works.")
        return int(value)


def decode_press(data: str | None) -> tuple[int, Press] | None:
    """Split callback data ``revision:action:arg...``; None when it is not ours."""
    if not data:
        return None
    revision, _, rest = data.partition(":")
    number = whole_number(revision)
    if number is None or not rest:
        return None
    action, *args = rest.split(":")
    return number, Press(action, tuple(args))


@dataclass
class Turn:
    """One update being handled: who, where in the conversation, and what to answer."""

    update: Update
    bot: Bot
    session: AsyncSession
    services: Services
    user_id: int
    chat_id: int
    resident: Resident | None
    state: ConversationState | None
    press: Press | None = None
    _staff: StaffMember | None = None
    _staff_loaded: bool = False
    # The association's settings in force for this update (see bot.association.service).
    _settings: Settings | None = None
    _outbox: list[Answer] = field(default_factory=list)

    def onboarded(self) -> Resident:
        """The onboarded resident pressing or typing; anyone else: the button is stale."""
        if self.resident is None or self.resident.onboarded_at is None:
            raise StaleAction("That button no longer works.")
        return self.resident

    @property
    def pressed(self) -> Press:
        """The button pressed, at a step reached only by a press."""
        assert self.press is not None
        return self.press

    async def staff(self) -> StaffMember | None:
        """The active staff member speaking, if they are one (looked up once, when needed)."""
        if not self._staff_loaded:
            self._staff = await find_staff(self.session, self.user_id)
            self._staff_loaded = True
        return self._staff

    async def require_staff(self, refusal: str = ONLY_STAFF) -> StaffMember:
        """The active staff member speaking, or NotAllowed with ``refusal`` (a msgid).

        Checked at the moment of use, so a forged or old staff button is refused too.
        """
        staff = await self.staff()
        if staff is None:
            raise NotAllowed(refusal)
        return staff

    async def staff_or_stop(self) -> StaffMember | None:
        """The staff member at a staff step; someone no longer staff is stopped politely."""
        staff = await self.staff()
        if staff is None:
            self.end()
            self.reply(self._(ONLY_STAFF))
        return staff

    @property
    def settings(self) -> Settings:
        return self._settings or self.services.settings

    @property
    def language(self) -> str:
        """The resident's language, or their Telegram language before they registered."""
        if self.resident is not None:
            return self.resident.language
        code = (
            (self.update.effective_user.language_code or "") if self.update.effective_user else ""
        )
        return "cy" if code.lower().startswith("cy") else self.settings.default_language

    @property
    def _(self) -> Gettext:
        return gettext_for(self.language)

    @property
    def message(self) -> Message | None:
        """The resident's message, when the update is one."""
        return self.update.message

    @property
    def text(self) -> str | None:
        """The text (or photo caption) the resident sent, if any."""
        message = self.update.message
        if message is None:
            return None
        return message.text if message.text is not None else message.caption

    # ----- conversation state -------------------------------------------------------------

    @property
    def step(self) -> str | None:
        """The current step name, or None outside any conversation."""
        return None if self.state is None else self.state.step

    @property
    def data(self) -> dict[str, Any]:
        """The answers gathered in the current conversation (after changing them, ``touch``)."""
        return {} if self.state is None else self.state.data

    @property
    def revision(self) -> int:
        return 0 if self.state is None else self.state.revision

    def go(self, step: str, data: dict[str, Any] | None = None) -> None:
        """Move to ``step`` (``data`` replaces the answers when given).

        Entering a step bumps the revision that buttons carry, so buttons shown at an
        earlier step, or an earlier round of this one, are recognised as stale.
        """
        if self.state is None:
            self.state = ConversationState(chat_id=self.chat_id, step=step, data={}, revision=0)
            self.session.add(self.state)
        elif self.state.step is None:
            self.state.data = {}
        self.state.step = step
        self.state.revision = (self.state.revision or 0) + 1
        if data is not None:
            self.state.data = dict(data)

    def touch(self) -> None:
        """Record that the answers were changed in place (JSON columns do not see that)."""
        assert self.state is not None
        flag_modified(self.state, "data")

    def keep(self, **answers: object) -> None:
        """Add to (or replace some of) the answers gathered in the current conversation."""
        self.data.update(answers)
        self.touch()

    async def go_on(self, step: str, preview: TurnHandler) -> None:
        """Go on to ``step``; after a change made from the preview (``ready``), straight back.

        ``preview`` is the flow's own: it checks the answers and shows them again.
        """
        if self.data.get("ready"):
            await preview(self)
            return
        self.go(step)
        await self.prompt_current()

    @property
    def flow(self) -> str | None:
        """Which conversation is under way (onboarding, feedback, settings...), if any."""
        if self.step is None:
            return None
        mode = self.data.get("mode")
        return str(mode) if mode else self.services.steps[self.step].flow

    async def prompt_current(self) -> None:
        """Ask the question of the step the conversation is at (or offer the menu)."""
        if self.step is None:
            self.reply(self._("Choose what you would like to do from the menu."), main_menu(self._))
            return
        await self.services.steps[self.step].prompt(self)

    def end(self) -> None:
        """Leave the conversation; the answers gathered are dropped."""
        if self.state is not None:
            self.state.step = None
            self.state.data = {}

    async def save(self) -> None:
        """Write the step back in the same transaction, marking this update as applied."""
        if self.state is not None:
            self.state.last_update_id = self.update.update_id
        await self.session.flush()

    # ----- answers, sent after the commit ---------------------------------------------------

    def button(
        self, label: str, action: str, *args: object, anywhere: bool = False
    ) -> InlineKeyboardButton:
        """An inline button bound to the current step revision, so a stale one is recognised.

        ``anywhere`` buttons (revision 0) are not tied to a step: they work at any time.
        """
        revision = 0 if anywhere else self.revision
        data = ":".join([str(revision), action, *(str(a) for a in args)])
        if len(data.encode()) > 64:
            raise ValueError("callback data over Telegram's 64-byte limit")
        return InlineKeyboardButton(label, callback_data=data)

    def reply(self, text: str, markup: Markup | None = None, *, first: bool = False) -> None:
        """Send a message to this chat once the turn is committed (``first``: before the rest)."""
        if len(text) > MessageLimit.MAX_TEXT_LENGTH:
            text = text[: MessageLimit.MAX_TEXT_LENGTH - 1] + "…"
        chat_id = self.chat_id

        def send() -> Awaitable[Message]:
            return self.bot.send_message(chat_id, text, reply_markup=markup)

        self._outbox.insert(0, send) if first else self._outbox.append(send)

    def menu(self) -> ReplyKeyboardMarkup | None:
        """The main-menu keyboard, for residents who have finished setting up."""
        if self.resident is None or self.resident.onboarded_at is None:
            return None
        return main_menu(self._)

    def answer_press(self, text: str | None = None, alert: bool = False) -> None:
        """Answer the pressed button (the small notice at the top of the chat)."""
        query = self.update.callback_query
        if query is not None:
            self._outbox.append(lambda: query.answer(text, show_alert=alert))

    def edit_buttons(self, markup: InlineKeyboardMarkup | None, *, first: bool = False) -> None:
        """Replace (or, with None, remove) the buttons under the message that was pressed.

        ``first`` puts the edit before the answers already queued.
        """
        query = self.update.callback_query
        if query is None or query.message is None:
            return
        message_id, chat_id = query.message.message_id, query.message.chat.id

        async def edit() -> None:
            try:
                await self.bot.edit_message_reply_markup(chat_id, message_id, reply_markup=markup)
            except BadRequest as refused:
                # Tidying old buttons is best effort: the message may be gone, too old to
                # edit, or already without buttons ("message is not modified").
                log.debug("buttons of message_id=%s not edited: %s", message_id, refused)

        self._outbox.insert(0, edit) if first else self._outbox.append(edit)

    def send_photo(self, file_id: str) -> None:
        """Send a photo (by Telegram file id) once the turn is committed; best effort, so a
        photo Telegram no longer has does not stop the answers after it."""
        chat_id = self.chat_id

        async def send() -> None:
            try:
                await self.bot.send_photo(chat_id, file_id)
            except BadRequest as refused:
                log.warning("photo to chat_id=%s not sent: %s", chat_id, type(refused).__name__)

        self._outbox.append(send)

    def send_document(self, content: bytes, filename: str, caption: str | None = None) -> None:
        """Send a file to this chat once the turn is committed."""
        chat_id = self.chat_id
        self._outbox.append(
            lambda: self.bot.send_document(chat_id, content, filename=filename, caption=caption)
        )

    async def deliver(self) -> None:
        """Send the queued answers in order, after the commit (see bot/tg/answers.py)."""
        queued, self._outbox = self._outbox, []
        await deliver_answers(self.chat_id, queued)

    def discard_answers(self) -> None:
        """Forget queued answers (the turn failed and was rolled back)."""
        self._outbox.clear()


def inline(rows: Sequence[Sequence[InlineKeyboardButton]]) -> InlineKeyboardMarkup:
    """An inline keyboard from rows of buttons."""
    return InlineKeyboardMarkup([list(row) for row in rows])


def keyboard(rows: Sequence[Sequence[Button]]) -> InlineKeyboardMarkup:
    """The outbox's buttons (text and callback data) as a keyboard on a reply now."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.text, callback_data=b.data) for b in row] for row in rows]
    )


def pairs(buttons: Sequence[InlineKeyboardButton]) -> list[list[InlineKeyboardButton]]:
    """Lay buttons out two to a row."""
    return [list(buttons[i : i + 2]) for i in range(0, len(buttons), 2)]


TurnHandler = Callable[[Turn], Awaitable[None]]


@dataclass(frozen=True)
class Step:
    """One step of a conversation: how to ask its question and how to take the answer.

    ``staff_only`` steps belong to staff conversations: they work for a staff member who
    is not a resident, and their handlers check the role themselves.
    """

    flow: str
    prompt: TurnHandler
    handle: TurnHandler
    staff_only: bool = False


CommandHandler = Callable[["Turn", str], Awaitable[None]]


@dataclass(frozen=True)
class Command:
    """A slash command: its handler (given the text after the command) and who may use it.

    ``audience``: "anyone"; "resident" (set up as a resident); "staff"; "admin".
    """

    handle: CommandHandler
    audience: str = "resident"


@dataclass(frozen=True)
class Flow:
    """What one feature's Telegram shell adds to the bot.

    ``steps`` by step name; ``presses``: buttons that work at any step (revision 0), by
    button code; ``commands`` by name without the slash.
    """

    name: str
    steps: Mapping[str, Step] = field(default_factory=dict)
    presses: Mapping[str, TurnHandler] = field(default_factory=dict)
    commands: Mapping[str, Command] = field(default_factory=dict)
