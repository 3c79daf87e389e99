"""Privacy's tests run on Wednesday 10 June 2026 from 09:00 in London, the clock moving on:
what an erasure keeps depends on the day, never on the wall clock's."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

JUNE = datetime(2026, 6, 10, 9, 0, tzinfo=ZoneInfo("Europe/London"))


@pytest.fixture(autouse=True)
def in_june() -> Iterator[None]:
    """The clock at 09:00 London on 10 June 2026, moving on (before Doorstep starts)."""
    with time_machine.travel(JUNE, tick=True):
        yield
