"""The main menu: a reply keyboard of the things a resident can do."""

from __future__ import annotations

from telegram import KeyboardButton, ReplyKeyboardMarkup

from bot.i18n import LANGUAGES, N_, Gettext, gettext_for

# Menu item code -> label (gettext msgid), in keyboard order.
MENU_ITEMS: dict[str, str] = {
    "feedback": N_("Give feedback"),
    "events": N_("Events"),
    "updates": N_("Updates"),
    "reports": N_("My reports"),
    "settings": N_("Settings"),
    "help": N_("Help"),
}


def main_menu(_: Gettext) -> ReplyKeyboardMarkup:
    """The persistent main-menu keyboard in the resident's language."""
    labels = [KeyboardButton(_(label)) for label in MENU_ITEMS.values()]
    return ReplyKeyboardMarkup(
        [labels[0:2], labels[2:4], labels[4:6]], resize_keyboard=True, is_persistent=True
    )


def menu_item(text: str | None) -> str | None:
    """Which menu item a text is (in any shipped language), or None."""
    if not text:
        return None
    wanted = text.strip().casefold()
    for language in LANGUAGES:
        _ = gettext_for(language)
        for code, label in MENU_ITEMS.items():
            if _(label).casefold() == wanted:
                return code
    return None
