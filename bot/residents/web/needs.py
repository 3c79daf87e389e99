"""What the residents' pages need from features they may not import, passed in by the app.

Residents sit at the bottom of the features, below the association's settings and
staff's "who may see what". Posters carry the association's name in force and staff
see only their neighbourhoods' residents, so the dashboard app (``bot.web.app``) hands
these pages the two functions when it adds their routes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.models import DashboardUser
from bot.web.security import SETTINGS

# ``effective_settings``: the environment's settings with the admins' changes applied.
SettingsInForce = Callable[[AsyncSession, Settings], Awaitable[Settings]]
# ``scope_of_user``: the neighbourhood ids a dashboard user may see (None: all of them).
ScopeOf = Callable[[AsyncSession, DashboardUser], Awaitable[Collection[int] | None]]

SETTINGS_IN_FORCE: web.AppKey[SettingsInForce] = web.AppKey("residents_settings_in_force")
SCOPE_OF: web.AppKey[ScopeOf] = web.AppKey("residents_scope_of")


async def settings_in_force(request: web.Request, db: AsyncSession) -> Settings:
    """The association's settings in force now."""
    return await request.app[SETTINGS_IN_FORCE](db, request.app[SETTINGS])
