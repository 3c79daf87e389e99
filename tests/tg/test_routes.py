"""The router's table: every flow's steps, buttons and commands, none claimed twice."""

from __future__ import annotations

import pytest

from bot.tg import router
from bot.tg.conversation import Command, Flow, Step, Turn
from bot.tg.routes import RouteClash, assemble


async def _nothing(turn: Turn) -> None:
    """A handler that does nothing (the table is what is tested)."""


async def _no_command(turn: Turn, args: str) -> None:
    """A command that does nothing."""


STEP = Step("one", _nothing, _nothing)


def test_flows_that_share_nothing_are_merged() -> None:
    merged = assemble(
        "all",
        [
            Flow("a", {"a_start": STEP}, presses={"a_go": _nothing}),
            Flow("b", {"b_start": STEP}, commands={"bee": Command(_no_command)}),
        ],
    )
    assert set(merged.steps) == {"a_start", "b_start"}
    assert set(merged.presses) == {"a_go"}
    assert set(merged.commands) == {"bee"}


@pytest.mark.parametrize(
    ("first", "second", "words"),
    [
        (Flow("a", {"start": STEP}), Flow("b", {"start": STEP}), "step 'start'"),
        (
            Flow("a", presses={"go": _nothing}),
            Flow("b", presses={"go": _nothing}),
            "button code 'go'",
        ),
        (
            Flow("a", commands={"help": Command(_no_command)}),
            Flow("b", commands={"help": Command(_no_command)}),
            "command 'help'",
        ),
    ],
)
def test_a_name_claimed_by_two_flows_stops_the_bot_starting(
    first: Flow, second: Flow, words: str
) -> None:
    with pytest.raises(RouteClash) as clash:
        assemble("all", [first, second])
    assert str(clash.value) == f"{words} is claimed by both a and b"


def test_the_real_table_holds_every_flow() -> None:
    flows = {step.flow for step in router.ROUTES.steps.values()}
    assert {"onboarding", "feedback", "announce"} <= flows
    assert {"start", "staff", "newevent", "cancel", "menu"} <= set(router.ROUTES.commands)
