"""The tests' own clock (`make test-at`, tests/clock): every Python process of the run and
Chromium read one clock, started at CLOCK in London and moving on; monotonic time stays real."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import async_playwright

from tests.sandbox.test_chat_page import CHROMIUM, CHROMIUM_ARGS, ensure_chromium

CLOCK_DIR = Path(__file__).resolve().parent / "clock"

# Reads its clocks, waits 2 s, then starts a process of its own that reads the wall clock.
PROBE = """
import json, subprocess, sys, time
wall, monotonic = time.time(), time.monotonic()
time.sleep(2)
wall_at_child = time.time()
child = subprocess.run([sys.executable, "-c", "import time; print(time.time())"],
                       capture_output=True, text=True, check=True)
print(json.dumps({"wall": wall, "monotonic": monotonic, "zone": time.strftime("%Z"),
                  "wall_after": time.time(), "monotonic_after": time.monotonic(),
                  "wall_at_child": wall_at_child, "child": float(child.stdout)}))
"""


def test_a_process_started_with_a_clock_and_its_children_share_one_moving_clock() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOORSTEP_TEST_")}
    env |= {"DOORSTEP_TEST_CLOCK": "2027-10-31 00:30", "PYTHONPATH": str(CLOCK_DIR)}
    before = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=60
    )
    after = time.monotonic()
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)

    start = datetime(2027, 10, 31, 0, 30, tzinfo=ZoneInfo("Europe/London")).timestamp()
    assert start <= seen["wall"] < start + 10
    assert seen["zone"] == "BST"  # London's time zone, summer time until 02:00 that night
    # The clock moves on as real time does, and monotonic time is the machine's own.
    waited = seen["monotonic_after"] - seen["monotonic"]
    assert 2 <= seen["wall_after"] - seen["wall"] <= waited + 0.1
    assert before <= seen["monotonic"] <= seen["monotonic_after"] <= after
    # The child goes on from its parent's clock; it does not start again at CLOCK.
    assert seen["wall_at_child"] <= seen["child"] <= seen["wall_after"]


@pytest.mark.browser
async def test_chromium_reads_the_same_clock_and_time_zone_as_the_tests() -> None:
    ensure_chromium()
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page()
            before = time.time()
            browser_now = await page.evaluate("Date.now()") / 1000
            after = time.time()
            browser_offset = await page.evaluate("-new Date().getTimezoneOffset() * 60")
        finally:
            await browser.close()
    assert before - 1 <= browser_now <= after + 1
    local_offset = datetime.now().astimezone().utcoffset()
    assert local_offset is not None and browser_offset == local_offset.total_seconds()
