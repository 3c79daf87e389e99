"""/announce in Telegram, its first stages: what to send (text, or a photo and its caption)
and to whom (neighbourhoods, then topics).

/announce asks one step at a time: the text (or a photo with a caption), the
neighbourhoods, the topics, when (`telegram_timing`), and whether it is urgent; then it
shows the preview (`telegram_preview`). After a change made from the preview, each step
goes straight back to it.
"""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Message
from telegram.constants import MessageEntityType

from bot.broadcasts.composing import CAPTION_LIMIT, TEXT_LIMIT, check_photo, check_text
from bot.broadcasts.lifecycle import discard_draft
from bot.broadcasts.steps import ANNOUNCE_FLOW, AnnounceButton, AnnounceStep
from bot.broadcasts.telegram_preview import show_preview
from bot.errors import InvalidInput, StaleAction
from bot.residents import service as residents
from bot.tg.conversation import Turn, inline, pairs
from bot.tg.pickers import ask_areas, pick_areas

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


# ----- /announce: the text ------------------------------------------------------------------


async def start_announcement(turn: Turn, _args: str) -> None:
    """/announce: start writing an announcement (a preview left open is dropped)."""
    staff = await turn.staff()
    draft_id = turn.data.get("draft_id")
    if staff is not None and turn.flow == ANNOUNCE_FLOW and isinstance(draft_id, int):
        await discard_draft(turn.session, draft_id, staff.id)
    turn.go(AnnounceStep.TEXT, {})
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
                ).format(text=TEXT_LIMIT, caption=CAPTION_LIMIT),
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
            check_photo(message.document.file_size)
            raise InvalidInput(
                "Please send the picture as a photo, not as a file, so that residents see it "
                "in the chat."
            )
        raise InvalidInput("Please send text, or a photo with a caption.")
    if message.photo:
        largest = message.photo[-1]
        check_photo(largest.file_size)
        caption = _html(message)
        if caption is None or not caption.strip():
            turn.keep(photo=largest.file_id, text=None)
            turn.go(AnnounceStep.CAPTION)
            await turn.prompt_current()
            return
        turn.keep(photo=largest.file_id, text=check_text(caption, caption=True))
    elif message.text is not None:
        text = check_text(_html(message), caption=False)
        turn.keep(photo=None, text=text)
    else:
        raise InvalidInput("Please send text, or a photo with a caption.")
    await turn.go_on(AnnounceStep.AREAS, show_preview)


async def prompt_caption(turn: Turn) -> None:
    """Ask for the photo's caption."""
    turn.reply(
        turn._(
            "Now type the words to go with the photo (up to {limit} characters), or send "
            "another photo with its caption."
        ).format(limit=CAPTION_LIMIT)
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
    turn.keep(text=check_text(_html(message), caption=True))
    await turn.go_on(AnnounceStep.AREAS, show_preview)


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
    turn.go(AnnounceStep.TOPICS)
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
        turn.button(("✓ " if topic_id in chosen else "") + label, AnnounceButton.TOPIC, topic_id)
        for topic_id, label in topics
    ]
    return inline(
        [
            *pairs(buttons),
            [turn.button(_("All topics"), AnnounceButton.TOPICS, "all")],
            [turn.button(_("Next"), AnnounceButton.TOPICS, "next")],
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
    if press.action == AnnounceButton.TOPIC:
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
    if press.action != AnnounceButton.TOPICS or press.arg(0) not in ("all", "next"):
        raise StaleAction("That button no longer works.")
    if press.arg(0) == "all":
        turn.keep(topics=[])
    elif not chosen:
        raise InvalidInput("Choose at least one topic, or press All topics.")
    turn.answer_press()
    turn.edit_buttons(None)
    await turn.go_on(AnnounceStep.WHEN, show_preview)
