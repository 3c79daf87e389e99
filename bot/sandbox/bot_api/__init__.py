"""The sandbox's Bot API: the methods Doorstep calls, answered as Telegram would.

Each method is ``async def method(call) -> result`` (call.py); methods.py lists them.
"""
