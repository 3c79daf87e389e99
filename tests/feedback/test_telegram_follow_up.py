"""After a report is sent, through python-telegram-bot against the sandbox: My reports,
newest first, a page at a time; a report opened with its dates and thread; information
and photos added to it; a resolved report reopened, or closed by itself and then only
read. (Answering a staff reply: test_telegram_staff.py.)"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from bot.feedback import jobs, lifecycle
from bot.feedback.notify import StaffNotices
from bot.feedback.telegram_follow_up import fit_newest
from bot.models import Feedback, FeedbackAttachment, FeedbackMessage, FeedbackStatusChange, Resident
from bot.sandbox.client import SandboxUser
from bot.staff.service import find_staff
from tests.feedback.factories import MONDAY, make_report
from tests.journeys import PNG, begin_report, onboard, report, texts
from tests.staff.test_telegram import PROACTIVE, join_staff, last_message_id, row
from tests.support.harness import BotHarness

STALE = "That button no longer works."
CLOSED = "is closed, so it can no longer be changed or added to here"
# Received on Monday 3 March 2025 and resolved the next day at 10:00 in London: with the
# default 14 days it closes on Tuesday 18 March, in that night's run. (Well in the past,
# so that the messages the tests wait for are due whenever they run.)
RECEIVED = datetime(2025, 3, 3, 10, 0, tzinfo=UTC)
RESOLVED = datetime(2025, 3, 4, 10, 0, tzinfo=UTC)
CLOSING_RUN = datetime(2025, 3, 18, 2, 15, tzinfo=UTC)


async def test_my_reports_pages_through_older_reports(doorstep: BotHarness) -> None:
    user = doorstep.user()
    await onboard(user)
    references = [await report(user, description=f"Report {n}") for n in range(6)]
    await user.send("My reports")
    replies = await user.wait_for_text("(1 to 5 of 6)")
    assert references[5] in texts(replies) and references[0] not in texts(replies)
    await user.press("Show older reports")
    replies = await user.wait_for_text("(6 to 6 of 6)")
    assert references[0] in texts(replies)


async def test_my_reports_lists_reports_newest_first(doorstep: BotHarness) -> None:
    user = doorstep.user()
    await onboard(user)
    await user.send("My reports")
    await user.wait_for_text("You have not sent any reports yet")
    first = await report(user, description="one")
    second = await report(user, category="Suggestion", description="two")
    await user.send("My reports")
    replies = await user.wait_for_text("Your reports, newest first (1 to 2 of 2)")
    joined = texts(replies)
    assert joined.index(second) < joined.index(first)
    assert "Suggestion" in joined


async def resident_of(doorstep: BotHarness, user: SandboxUser) -> Resident:
    async with doorstep.sessions() as session:
        resident = await session.scalar(
            select(Resident).where(Resident.telegram_user_id == user.user_id)
        )
    assert resident is not None
    return resident


async def opened(user: SandboxUser, reference: str) -> str:
    """Open a report from My reports; the text the resident reads."""
    await user.send("My reports")
    await user.wait_for_text("Your reports, newest first")
    await user.press(f"Open {reference}")
    return texts(await user.wait_for_text(f"{reference} - "))


async def test_a_report_opens_with_the_dates_that_matter_and_its_thread(
    doorstep: BotHarness,
) -> None:
    ann = doorstep.user()
    await onboard(ann)
    resident = await resident_of(doorstep, ann)
    # Received on Monday 2 March 2026 at 10:00 in London.
    complaint = await make_report(doorstep.sessions, resident, complaint=True, aware_at=MONDAY)
    emergency = await make_report(doorstep.sessions, resident, urgent=True, aware_at=MONDAY)
    damp = await make_report(doorstep.sessions, resident, category="damp_mould", aware_at=MONDAY)
    async with doorstep.sessions.begin() as session:
        session.add_all(
            [
                FeedbackMessage(
                    feedback_id=complaint.id,
                    author="staff",
                    body="A plumber will come on Tuesday.",
                    created_at=datetime(2026, 3, 3, 9, 0, tzinfo=UTC),
                ),
                FeedbackMessage(
                    feedback_id=complaint.id,
                    author="resident",
                    body="Tuesday is fine.",
                    created_at=datetime(2026, 3, 3, 12, 0, tzinfo=UTC),
                ),
            ]
        )
        investigated = await session.get(Feedback, damp.id)
        assert investigated is not None
        investigated.investigated_at = datetime(2026, 3, 5, 11, 0, tzinfo=UTC)
        investigated.summary_due_on = date(2026, 3, 10)

    text = await opened(ann, complaint.reference)
    assert text.startswith(
        f"{complaint.reference} - Complaint about: Repairs\n"
        "Sent: 2 Mar 2026 10:00\n"
        "Status: Received - waiting to be looked at\n"
        "We will confirm we have it by 9 Mar 2026\n"
        "Full answer due by 23 Mar 2026\n\n"
        "What you told us:\nThe kitchen tap is leaking.\n\n"
        "Messages, newest last:\n\n"
        "Our reply, 3 Mar 2026 09:00:\nA plumber will come on Tuesday.\n\n"
        "You, 3 Mar 2026 12:00:\nTuesday is fine."
    )
    message = await ann.last_bot_message()
    assert message is not None
    labels = [b["text"] for line in message["reply_markup"]["inline_keyboard"] for b in line]
    assert labels == ["Add information", "Add a photo"]

    text = await opened(ann, emergency.reference)
    assert "Urgent: yes\nWe will make it safe by 3 Mar 2026 10:00" in text
    # Investigated: the summary's date matters now, not the investigation's.
    text = await opened(ann, damp.reference)
    assert "Written summary of the investigation due by 10 Mar 2026" in text
    assert "To be investigated" not in text
    listed = texts(await ann_lists(ann))
    assert "We will make it safe by 3 Mar 2026 10:00" in listed
    assert "Full answer due by 23 Mar 2026" in listed

    # Someone else's report, or one that is gone: the stale answer, nothing shown.
    bob = doorstep.user(first_name="Bob")
    await onboard(bob)
    message_id = await last_message_id(bob)
    for data in (f"0:fbo:{complaint.id}", f"0:fbi:{complaint.id}", "0:fbo:999999999"):
        await bob.press_forged(message_id, data)
        await bob.wait_for_text(STALE)


async def ann_lists(user: SandboxUser) -> list[dict[str, object]]:
    await user.send("My reports")
    return await user.wait_for_text("Your reports, newest first")


async def test_a_long_thread_shows_its_newest_messages_in_one_message(
    doorstep: BotHarness,
) -> None:
    ann = doorstep.user()
    await onboard(ann)
    long = await make_report(doorstep.sessions, await resident_of(doorstep, ann), aware_at=MONDAY)
    async with doorstep.sessions.begin() as session:
        session.add_all(
            FeedbackMessage(
                feedback_id=long.id,
                author="staff" if n % 2 else "resident",
                body=f"Message {n}. " + "🔧" * 600,  # each emoji is two of Telegram's units
                created_at=datetime(2026, 3, 3 + n, 9, 0, tzinfo=UTC),
            )
            for n in range(8)
        )
    text = await opened(ann, long.reference)
    assert "Message 7." in text and "Message 0." not in text
    assert "Earlier messages not shown: " in text
    assert text.index("Earlier messages not shown") < text.index("Message 7.")
    assert len(text.encode("utf-16-le")) // 2 <= 4096


def test_fit_newest_keeps_the_newest_whole_and_cuts_only_one_too_long_alone() -> None:
    def note(count: int) -> str:
        return f"[{count} not shown]"

    assert fit_newest("Head", ["a", "b"], note, limit=100) == "Head\n\na\n\nb"
    assert fit_newest("Head", ["a" * 30, "b" * 30, "c" * 30], note, limit=90) == (
        "Head\n\n[1 not shown]\n\n" + "b" * 30 + "\n\n" + "c" * 30
    )
    cut = fit_newest("Head", ["old", "x" * 200], note, limit=60)
    assert cut.startswith("Head\n\n[1 not shown]\n\nxxx") and cut.endswith("…")
    assert len(cut) <= 60


@pytest.mark.no_quiet_hours
async def test_information_and_photos_are_added_while_the_resident_is_busy_elsewhere(
    doorstep: BotHarness,
) -> None:
    sam = await join_staff(doorstep)
    ann = doorstep.user()
    await onboard(ann)
    reference = await report(ann)
    await sam.wait_for_text(f"New report {reference}", PROACTIVE)

    await begin_report(ann, "Suggestion")  # half-way through another report
    await ann.send("My reports")
    await ann.wait_for_text("please tell us what is happening")  # the report carries on
    await ann.press(f"Open {reference}")
    await ann.wait_for_text(f"{reference} - Repairs")
    await ann.press("Add information")
    await ann.wait_for_text(f"Type what you would like to add to {reference}")
    await ann.send_sticker()
    await ann.wait_for_text("Please type what you would like to add")
    await ann.send("\u200b")
    await ann.wait_for_text("That message was empty")
    await ann.send("It drips at night too.")
    await ann.wait_for_text(f"What you added to {reference} has been passed on")
    await ann.wait_for_text("please tell us what is happening")  # back in her new report
    told = texts(await sam.wait_for_text(f"Answer from the resident about {reference}", PROACTIVE))
    assert "It drips at night too." in told

    await ann.press("Add a photo")  # the opened report's button still works
    await ann.wait_for_text(f"Send a photo for {reference}")
    await ann.send("here it is")
    await ann.wait_for_text("Please send a photo, or press Done.")
    await ann.send_document(b"%PDF-1.4", "notes.pdf")
    await ann.wait_for_text("I can only attach photos")
    await ann.send_photo(PNG, caption="Under the sink")
    await ann.wait_for_text(f"Photo added to {reference}, and the staff have been told")
    told = texts(await sam.wait_for_text(f"The resident added a photo to {reference}", PROACTIVE))
    assert "Under the sink" in told and "Photos: 1" in told
    await ann.press("Done")
    await ann.wait_for_text(f"Photos added to {reference}: 1.")
    await ann.wait_for_text("please tell us what is happening")

    stored = await row(doorstep, reference)
    async with doorstep.sessions() as session:
        thread = (
            await session.scalars(
                select(FeedbackMessage.body)
                .where(FeedbackMessage.feedback_id == stored.id)
                .order_by(FeedbackMessage.id)
            )
        ).all()
        photos = await session.scalar(
            select(func.count())
            .select_from(FeedbackAttachment)
            .where(FeedbackAttachment.feedback_id == stored.id)
        )
    assert list(thread) == ["It drips at night too.", "Under the sink"]
    assert photos == 1
    text = await opened(ann, reference)
    assert text.index("It drips at night too.") < text.index("Under the sink")


async def resolve(doorstep: BotHarness, staff_user: SandboxUser, report_id: int) -> None:
    """Staff resolve the report at RESOLVED, the association's quiet period told."""
    settings = doorstep.runtime.services.settings
    async with doorstep.sessions.begin() as session:
        staff = await find_staff(session, staff_user.user_id)
        assert staff is not None
        await lifecycle.change_status(
            session,
            report_id,
            "resolved",
            staff,
            StaffNotices.from_settings(settings),
            now=RESOLVED,
        )


async def test_the_default_quiet_period_is_fourteen_days(doorstep: BotHarness) -> None:
    assert doorstep.runtime.services.settings.resolved_close_days == 14


@pytest.mark.no_quiet_hours
async def test_a_resolved_report_is_reopened_or_closes_by_itself_and_is_then_only_read(
    doorstep: BotHarness,
) -> None:
    sam = await join_staff(doorstep)
    ann = doorstep.user()
    await onboard(ann)
    repair = await make_report(
        doorstep.sessions, await resident_of(doorstep, ann), aware_at=RECEIVED
    )
    reference = repair.reference
    await sam.wait_for_text(f"New report {reference}", PROACTIVE)

    await resolve(doorstep, sam, repair.id)
    told = texts(await ann.wait_for_text(f"Update on your report {reference}: Resolved", PROACTIVE))
    assert "It will close on 18 Mar 2025." in told
    assert "If it is not sorted, press the button below and we will reopen it." in told
    await ann.press("Not sorted - reopen")
    await ann.wait_for_text(f"Thank you. {reference} is open again and we have told the staff.")
    await sam.wait_for_text(f"The resident says {reference} is not sorted", PROACTIVE)
    assert (await row(doorstep, reference)).status == "in_progress"
    await ann.press_forged(await last_message_id(ann), f"0:fbro:{repair.id}")  # pressed again
    await ann.wait_for_text(f"{reference} is already open again.")

    await resolve(doorstep, sam, repair.id)
    await ann.wait_for_text("It will close on 18 Mar 2025.", PROACTIVE)
    assert (
        await jobs.close_resolved_reports(
            doorstep.sessions, doorstep.runtime.services.settings, CLOSING_RUN
        )
        == 1
    )
    await ann.wait_for_text("Nobody told us it was not sorted, so it has closed.", PROACTIVE)
    await ann.press("Not sorted - reopen")  # under the resolved message, too late now
    await ann.wait_for_text(f"{reference} {CLOSED}")
    closed = await row(doorstep, reference)
    assert (closed.status, closed.closed_at) == ("closed", CLOSING_RUN)
    async with doorstep.sessions() as session:
        staff = await find_staff(session, sam.user_id)
        actors = (
            await session.scalars(
                select(FeedbackStatusChange.actor)
                .where(FeedbackStatusChange.feedback_id == repair.id)
                .order_by(FeedbackStatusChange.id)
            )
        ).all()
    assert staff is not None
    by_staff = f"staff:{staff.id}"
    assert actors == ["resident", by_staff, "resident", by_staff, "system:auto-close"]

    # It can be read, not added to.
    text = await opened(ann, reference)
    assert "Status: Closed" in text and CLOSED in text
    message = await ann.last_bot_message()
    assert message is not None and not (message.get("reply_markup") or {}).get("inline_keyboard")
    await ann.press_forged(await last_message_id(ann), f"0:fbi:{repair.id}")
    await ann.wait_for_text(f"{reference} {CLOSED}")


@pytest.mark.no_quiet_hours
async def test_a_complaint_goes_to_stage_two_only_until_it_closes(doorstep: BotHarness) -> None:
    sam = await join_staff(doorstep)
    ann = doorstep.user()
    await onboard(ann)
    complaint = await make_report(
        doorstep.sessions, await resident_of(doorstep, ann), complaint=True, aware_at=RECEIVED
    )
    await sam.wait_for_text(f"New complaint {complaint.reference}", PROACTIVE)
    await resolve(doorstep, sam, complaint.id)
    answer = texts(await ann.wait_for_text("It will close on 18 Mar 2025.", PROACTIVE))
    assert "Not sorted - reopen" not in answer
    text = await opened(ann, complaint.reference)
    assert "It will close on 18 Mar 2025." in text
    message = await ann.last_bot_message()
    assert message is not None
    labels = [b["text"] for line in message["reply_markup"]["inline_keyboard"] for b in line]
    assert labels == ["Add information", "Add a photo", "I'm not satisfied - take it to stage 2"]

    await jobs.close_resolved_reports(
        doorstep.sessions, doorstep.runtime.services.settings, CLOSING_RUN
    )
    await ann.wait_for_text("so it has closed", PROACTIVE)
    await ann.press("I'm not satisfied - take it to stage 2")
    await ann.wait_for_text(f"{complaint.reference} {CLOSED}")
    assert (await row(doorstep, complaint.reference)).status == "closed"
