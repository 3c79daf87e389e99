"""Starting a sandbox server from code (the demo command and tests)."""

from __future__ import annotations

from aiohttp import web

from bot.sandbox.server import create_sandbox_app
from bot.sandbox.state import SandboxState

_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


async def start_sandbox(
    state: SandboxState, host: str = "127.0.0.1", port: int = 0
) -> tuple[web.AppRunner, str]:
    """Serve `state` on host:port (port 0 picks a free one).

    Returns the runner (call `await runner.cleanup()` to stop) and the base URL with the
    port actually bound, e.g. "http://127.0.0.1:43817". Only loopback addresses are allowed:
    the sandbox has no authentication beyond the bot token.
    """
    if host not in _LOOPBACK:
        raise ValueError("the sandbox only listens on a loopback address")
    # No access log: Bot API paths carry the bot token.
    runner = web.AppRunner(create_sandbox_app(state), access_log=None, handler_cancellation=True)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound_port = runner.addresses[0][1]
    shown = f"[{host}]" if ":" in host else host
    return runner, f"http://{shown}:{bound_port}"
