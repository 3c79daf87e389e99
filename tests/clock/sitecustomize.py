"""The tests' clock for ``make test-at CLOCK="2027-03-28 00:30"`` (on PYTHONPATH only there).

Every Python process of the run (pytest, its xdist workers, and the bot, sandbox and command
processes the tests start) has its wall clock start at CLOCK, Europe/London time, and move on
as real time does (time-machine, ``tick=True``); the local time zone is London's, as on a
developer's machine in the UK. Monotonic time is left alone, so asyncio, timeouts and waits
keep running on the real clock. The first process turns CLOCK into a whole number of seconds
from the real clock (rounded up: no clock reads a moment before CLOCK) and hands it down, so all
processes (and Chromium, through libfaketime in ``tests/clock/chromium``) share one moving
clock, whenever each of them starts.
"""

from __future__ import annotations

import math
import os
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import time_machine

CLOCK = "DOORSTEP_TEST_CLOCK"
OFFSET = "DOORSTEP_TEST_CLOCK_OFFSET"
LONDON = ZoneInfo("Europe/London")


def _offset_seconds() -> int:
    """Seconds from the real clock to the tests' clock: handed down, or worked out from CLOCK."""
    if OFFSET not in os.environ:
        start = datetime.fromisoformat(os.environ[CLOCK]).replace(tzinfo=LONDON)
        os.environ[OFFSET] = f"{math.ceil(start.timestamp() - time.time()):+d}"
    return int(os.environ[OFFSET])


if os.environ.get(CLOCK):
    _offset = _offset_seconds()
    os.environ["DOORSTEP_TEST_CHROMIUM"] = str(Path(__file__).with_name("chromium"))
    time_machine.travel(datetime.fromtimestamp(time.time() + _offset, LONDON), tick=True).start()
    time.time()  # time-machine's clock moves on from its first reading: make that now
