"""Reply markup as Telegram checks it: inline keyboards, reply keyboards, removal."""

from __future__ import annotations

import re

from bot.sandbox.bot_api.call import Call, JSONDict
from bot.sandbox.params import bad_request

_URL_RE = re.compile(r"^(https?|tg)://\S+$", re.IGNORECASE)


def _check_inline_keyboard(markup: JSONDict) -> JSONDict:
    rows = markup.get("inline_keyboard")
    if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
        raise bad_request('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array')
    clean_rows: list[list[JSONDict]] = []
    for row in rows:
        clean: list[JSONDict] = []
        for button in row:
            if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                raise bad_request(
                    'can\'t parse inline keyboard button: Field "text" must be of type String'
                )
            if "callback_data" in button:
                data = button["callback_data"]
                if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= 64:
                    raise bad_request("BUTTON_DATA_INVALID")
            elif "url" in button:
                if not isinstance(button["url"], str) or not _URL_RE.match(button["url"]):
                    raise bad_request("BUTTON_URL_INVALID")
            elif not any(
                k in button
                for k in (
                    "web_app",
                    "login_url",
                    "switch_inline_query",
                    "switch_inline_query_current_chat",
                    "switch_inline_query_chosen_chat",
                    "copy_text",
                    "callback_game",
                    "pay",
                )
            ):
                raise bad_request(
                    "can't parse inline keyboard button: Text buttons are "
                    "unallowed in the inline keyboard"
                )
            clean.append(button)
        clean_rows.append(clean)
    return {"inline_keyboard": clean_rows}


def reply_markup(call: Call) -> JSONDict | None:
    """The call's ``reply_markup``, checked as Telegram checks it (None when it has none)."""
    markup = call.params.obj("reply_markup")
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        return _check_inline_keyboard(markup)
    if "keyboard" in markup:
        rows = markup["keyboard"]
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise bad_request('field "keyboard" of the ReplyKeyboardMarkup must be an Array')
        keyboard = [[{"text": b} if isinstance(b, str) else dict(b) for b in row] for row in rows]
        if any(not isinstance(b.get("text"), str) or not b["text"] for r in keyboard for b in r):
            raise bad_request('can\'t parse keyboard button: Field "text" must be of type String')
        return {**markup, "keyboard": keyboard}
    if markup.get("remove_keyboard") is True or markup.get("force_reply") is True:
        return markup
    raise bad_request("can't parse reply keyboard markup JSON object")


def inline_only(markup: JSONDict | None) -> JSONDict | None:
    """An edit's markup: only an inline keyboard (or none) may replace a message's buttons."""
    if markup is not None and "inline_keyboard" not in markup:
        raise bad_request("inline keyboard expected")
    return markup
