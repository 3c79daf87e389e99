"""Run the doorstep command: ``python -m bot``."""

from bot.cli import main

main()
