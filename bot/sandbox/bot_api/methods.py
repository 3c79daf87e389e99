"""Every Bot API method the sandbox implements, by lower-case name."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from bot.sandbox.bot_api.call import Handler
from bot.sandbox.bot_api.edits import (
    answer_callback_query,
    delete_message,
    edit_message_caption,
    edit_message_reply_markup,
    edit_message_text,
)
from bot.sandbox.bot_api.files import get_file, send_document, send_photo
from bot.sandbox.bot_api.messages import (
    copy_message,
    forward_message,
    send_chat_action,
    send_location,
    send_message,
    send_poll,
)
from bot.sandbox.bot_api.profile import (
    always_true,
    close,
    delete_my_commands,
    get_chat_menu_button,
    get_me,
    get_my_commands,
    set_my_commands,
)
from bot.sandbox.bot_api.updates import (
    delete_webhook,
    get_updates,
    get_webhook_info,
    set_webhook,
)

METHODS: Mapping[str, Handler] = MappingProxyType(
    {
        name.lower(): handler
        for name, handler in {
            "getMe": get_me,
            "getUpdates": get_updates,
            "setWebhook": set_webhook,
            "deleteWebhook": delete_webhook,
            "getWebhookInfo": get_webhook_info,
            "sendMessage": send_message,
            "editMessageText": edit_message_text,
            "editMessageCaption": edit_message_caption,
            "editMessageReplyMarkup": edit_message_reply_markup,
            "deleteMessage": delete_message,
            "answerCallbackQuery": answer_callback_query,
            "sendDocument": send_document,
            "sendPhoto": send_photo,
            "getFile": get_file,
            "sendLocation": send_location,
            "sendPoll": send_poll,
            "copyMessage": copy_message,
            "forwardMessage": forward_message,
            "setMyCommands": set_my_commands,
            "getMyCommands": get_my_commands,
            "deleteMyCommands": delete_my_commands,
            "sendChatAction": send_chat_action,
            "setChatMenuButton": always_true,
            "getChatMenuButton": get_chat_menu_button,
            "setMyDescription": always_true,
            "setMyShortDescription": always_true,
            "setMyName": always_true,
            "logOut": always_true,
            "close": close,
        }.items()
    }
)
