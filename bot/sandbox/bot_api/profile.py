"""The bot about itself: getMe, its command lists, its menu button, logOut and close."""

from __future__ import annotations

import asyncio
import re

from bot.sandbox.bot_api.call import Call, JSONDict
from bot.sandbox.params import bad_request


async def get_me(call: Call) -> JSONDict:
    return {
        **call.state.bot_user(),
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


def _commands_key(call: Call) -> str:
    scope = call.params.obj("scope")
    scope_type = scope.get("type", "default") if isinstance(scope, dict) else "default"
    chat = scope.get("chat_id", "") if isinstance(scope, dict) else ""
    return f"{scope_type}:{chat}:{call.params.text('language_code') or ''}"


async def set_my_commands(call: Call) -> bool:
    commands = call.params.obj("commands")
    if not isinstance(commands, list) or len(commands) > 100:
        raise bad_request("can't parse commands JSON object")
    clean: list[JSONDict] = []
    for c in commands:
        if not isinstance(c, dict):
            raise bad_request("can't parse BotCommand")
        name, desc = str(c.get("command", "")), str(c.get("description", ""))
        if not re.match(r"^[a-z0-9_]{1,32}$", name):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(desc) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        clean.append({"command": name, "description": desc})
    call.state.commands[_commands_key(call)] = clean
    return True


async def get_my_commands(call: Call) -> list[JSONDict]:
    return list(call.state.commands.get(_commands_key(call), []))


async def delete_my_commands(call: Call) -> bool:
    call.state.commands.pop(_commands_key(call), None)
    return True


async def always_true(call: Call) -> bool:
    return True


async def get_chat_menu_button(call: Call) -> JSONDict:
    return {"type": "default"}


async def close(call: Call) -> bool:
    await asyncio.sleep(0)
    return True
