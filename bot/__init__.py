"""Doorstep: the resident-engagement Telegram bot for housing associations."""

import os

# Opt in to python-telegram-bot's timedelta durations (retry_after and friends) now,
# instead of the deprecated float seconds.
os.environ.setdefault("PTB_TIMEDELTA", "1")
