"""What every handler is given: settings, the session factory, the steps, the metrics."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram.ext import CallbackContext

from bot.config import Settings
from bot.metrics import Metrics

if TYPE_CHECKING:
    from bot.tg.conversation import Step


@dataclass(frozen=True)
class Services:
    """What every handler needs: settings, the session factory and the process's metrics."""

    settings: Settings
    sessions: async_sessionmaker[AsyncSession]
    steps: Mapping[str, Step]
    metrics: Metrics = field(default_factory=Metrics)


SERVICES_KEY = "doorstep"


def services_of(context: CallbackContext[Any, Any, Any, Any]) -> Services:
    """The Services stored on the PTB application."""
    services = context.application.bot_data[SERVICES_KEY]
    assert isinstance(services, Services)
    return services
