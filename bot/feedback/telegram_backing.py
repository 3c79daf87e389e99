""" "Me too" in Telegram: the resident's side of communal reports (``bot.feedback.backing``).

While giving feedback (``bot.feedback.telegram``): for repairs and estate, "is it in a
shared area or inside your home?" as buttons on the description prompt; a shared area,
pressed before anything is written, shows the open reports of the same kind in the
resident's neighbourhood first (newest first; no names and none of anyone's words: see
``backing.ShownReport``), with "This is mine too" on each instead of a new report and
"No, mine is different" to carry on. After: the reports they back under My reports,
and "Stop updates" there and under each update (an anywhere button).

This module never imports ``telegram.py`` (which imports it): going back to the
description is ``turn.go`` to its step and ``turn.prompt_current``.
"""

from __future__ import annotations

from telegram import InlineKeyboardButton

from bot.errors import InvalidInput, StaleAction
from bot.feedback.backing import (
    ShownReport,
    back_report,
    backings_of,
    similar_open_reports,
    withdraw_backing,
)
from bot.feedback.draft import AREA_CATEGORIES, CATEGORIES, INSIDE_HOME, SHARED_AREAS, ReportDraft
from bot.feedback.statuses import STATUS_WORDS
from bot.feedback.steps import FeedbackButton, FeedbackStep
from bot.i18n import format_day
from bot.tg.conversation import Turn, inline, pairs

# The reports the resident backs, listed under My reports (newest backing first).
BACKED_SHOWN = 10


def _status(turn: Turn, status: str) -> str:
    words = STATUS_WORDS.get(status)
    return turn._(words) if words else status


# ----- where it is -----------------------------------------------------------------------------


def area_rows(turn: Turn, draft: ReportDraft) -> list[list[InlineKeyboardButton]]:
    """Repairs and estate: where it is, as buttons, the answer so far ticked ("Inside my
    home" until a shared area is pressed: the default, and private)."""
    if draft.category not in AREA_CATEGORIES:
        return []
    _ = turn._

    def label(code: str, words: str) -> str:
        return f"✓ {words}" if code == (draft.shared_area or INSIDE_HOME) else words

    buttons = [
        turn.button(label(code, _(words)), FeedbackButton.AREA, code)
        for code, words in SHARED_AREAS.items()
    ]
    buttons.append(
        turn.button(label(INSIDE_HOME, _("Inside my home")), FeedbackButton.AREA, INSIDE_HOME)
    )
    return pairs(buttons)


def area_question(turn: Turn, draft: ReportDraft) -> str:
    """The question asked with the description prompt for repairs and estate, and what
    neighbours would see of a report in a shared area ("" for other categories)."""
    if draft.category not in AREA_CATEGORIES:
        return ""
    _ = turn._
    return (
        "\n\n"
        + _(
            "Is it in a shared area (lift, stairs, bins, lighting, door entry, grounds) or "
            "inside your home? If it is in a shared area, press where it is. If it is inside "
            "your home, you need not press anything."
        )
        + " "
        + _(
            "Neighbours reporting the same thing in a shared area will see that it has been "
            "reported, never your name or your words."
        )
    )


def area_noted(turn: Turn, draft: ReportDraft) -> str:
    """The answer to "where is it?", said back."""
    _ = turn._
    area = SHARED_AREAS.get(draft.shared_area or "")
    if area:
        return _("Noted: {area}, a shared area.").format(area=_(area))
    return _("Noted: inside your home.")


# ----- the same problem reported already -------------------------------------------------------


async def _same_kind(turn: Turn, category: str, shared_area: str | None) -> list[ShownReport]:
    assert turn.resident is not None
    return await similar_open_reports(turn.session, turn.resident, category, shared_area)


async def offer_same_kind(turn: Turn, draft: ReportDraft) -> bool:
    """Go to the same-kind step when there are open reports of the draft's kind nearby
    (the draft already kept); False, staying where it is, when there are none."""
    if not await _same_kind(turn, draft.category, draft.shared_area):
        return False
    turn.go(FeedbackStep.SAME)
    await prompt_same(turn)
    return True


def shown_lines(turn: Turn, report: ShownReport) -> str:
    """One communal report as a neighbour sees it (``ShownReport``: nothing that points to
    its reporter): reference, where, what, when, its status and how many it affects."""
    _ = turn._
    area = _(SHARED_AREAS.get(report.shared_area, CATEGORIES["other"]))
    kind = _(CATEGORIES.get(report.category, CATEGORIES["other"]))
    reported = report.received_at.astimezone(turn.settings.tz).date()
    return "\n".join(
        [
            f"{report.reference} - {area} ({kind})",
            _("Reported: {date}").format(date=format_day(reported, turn.language)),
            _("Status: {status}").format(status=_status(turn, report.status)),
            _("Residents affected: {count}").format(count=report.affected),
        ]
    )


def _drafted(turn: Turn) -> tuple[str, str | None]:
    """The draft's category and shared area (the draft itself is ``telegram.py``'s)."""
    raw = turn.data.get("draft")
    if not isinstance(raw, dict) or raw.get("category") not in CATEGORIES:
        raise StaleAction("That report is no longer in progress.")
    area = raw.get("shared_area")
    return str(raw["category"]), area if isinstance(area, str) else None


async def _to_description(turn: Turn) -> None:
    turn.go(FeedbackStep.DESCRIPTION)
    await turn.prompt_current()


async def prompt_same(turn: Turn) -> None:
    """The open reports of the same kind nearby, newest first: "This is mine too" on each,
    or "No, mine is different" to write a new report. (None left: on to the description.)"""
    _ = turn._
    shown = await _same_kind(turn, *_drafted(turn))
    if not shown:
        await _to_description(turn)
        return
    rows = [
        [
            turn.button(
                _("This is mine too: {reference}").format(reference=report.reference),
                FeedbackButton.ME_TOO,
                report.id,
            )
        ]
        for report in shown
    ]
    rows.append([turn.button(_("No, mine is different"), FeedbackButton.DIFFERENT)])
    rows.append([turn.button(_("« Back"), FeedbackButton.BACK)])
    turn.reply(
        _(
            'This may have been reported already. Is it one of these? If so, press "This is '
            'mine too": you will get its updates, and we will know it affects you too.'
        )
        + "\n\n"
        + "\n\n".join(shown_lines(turn, report) for report in shown),
        inline(rows),
    )


async def handle_same(turn: Turn) -> None:
    """Back a report already made (the draft is dropped: nothing was written yet), or go
    on to describe a different problem (Back also returns to the description)."""
    _ = turn._
    press = turn.press
    if press is None:
        raise InvalidInput(
            'Please press "This is mine too" under the report that is yours too, or "No, '
            'mine is different".'
        )
    turn.answer_press()
    if press.action in (FeedbackButton.BACK, FeedbackButton.DIFFERENT):
        turn.edit_buttons(None)
        await _to_description(turn)
        return
    if press.action != FeedbackButton.ME_TOO:
        raise StaleAction("That button no longer works.")
    assert turn.resident is not None
    report, _new = await back_report(turn.session, turn.resident, press.int_arg(0))
    turn.edit_buttons(None)
    turn.end()
    turn.reply(
        _(
            "Thank you. We have noted that {reference} affects you too, and you will get its "
            "updates. You can stop them under My reports."
        ).format(reference=report.reference),
        turn.menu(),
    )


# ----- under My reports, and stopping updates ---------------------------------------------------


async def show_backed_reports(turn: Turn) -> None:
    """Under My reports: the neighbours' reports the resident said are theirs too, each
    with "Stop updates" (nothing is said when there are none)."""
    _ = turn._
    assert turn.resident is not None
    backed = await backings_of(turn.session, turn.resident)
    if not backed:
        return
    lines = [_("Reports you said affect you too (you get their updates):")]
    rows = []
    for _backer, report in backed[:BACKED_SHOWN]:
        area = SHARED_AREAS.get(report.shared_area or "")
        lines.append(
            "\n".join(
                [
                    f"{report.reference} - {_(area) if area else ''}",
                    _("Status: {status}").format(status=_status(turn, report.status)),
                ]
            )
        )
        rows.append(
            [
                turn.button(
                    _("Stop updates for {reference}").format(reference=report.reference),
                    FeedbackButton.WITHDRAW,
                    report.id,
                    anywhere=True,
                )
            ]
        )
    turn.reply("\n\n".join(lines), inline(rows))


async def on_withdraw_press(turn: Turn) -> None:
    """ "Stop updates" under a backer's update or My reports, at any step: the backing
    is withdrawn (deleted); pressed again, the answer is the same."""
    assert turn.press is not None
    if turn.resident is None or turn.resident.onboarded_at is None:
        raise StaleAction("That button no longer works.")
    report = await withdraw_backing(turn.session, turn.resident, turn.press.int_arg(0))
    turn.answer_press()
    turn.edit_buttons(None)
    turn.reply(
        turn._(
            "You will no longer get updates about {reference}. If the problem affects you "
            "again, you can send a report under Give feedback."
        ).format(reference=report.reference),
        turn.menu(),
    )
