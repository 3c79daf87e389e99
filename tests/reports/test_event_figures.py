"""Events held (attendance, repeat attendees, ratings) and announcements (messages, reach)."""

from __future__ import annotations

from datetime import date, timedelta

from bot.models import Announcement, Broadcast, Delivery, Event, EventBooking
from tests.reports.records import JUNE, Sessions, figures, london, resident


async def test_events_ratings_and_announcements(sessions: Sessions) -> None:
    people = [await resident(sessions, None, london(date(2026, 1, 1))) for _ in range(7)]
    starts = [london(date(2026, 7, 1), 18), london(date(2026, 7, 8), 18), london(date(2026, 9, 1))]
    async with sessions.begin() as db:
        events = [
            Event(
                title="Coffee",
                description="d",
                place="Hall",
                starts_at=at,
                ends_at=at + timedelta(hours=2),
            )
            for at in starts
        ]
        events.append(
            Event(
                title="Off",
                description="d",
                place="Hall",
                starts_at=starts[0],
                ends_at=starts[0],
                status="cancelled",
            )
        )
        db.add_all(events)
        await db.flush()
        for position, person in enumerate(people):
            # Six residents came to both events in the period (staff marked five; the sixth
            # said so); the seventh booked the first and did not come.
            went = position < 6
            for event in events[:2]:
                db.add(
                    EventBooking(
                        event_id=event.id,
                        resident_id=person,
                        party_size=2,
                        status="booked",
                        position=position,
                        attended=True if position < 5 else (False if not went else None),
                        said_attended=True if position == 5 else None,
                        rating=(5 if event is events[0] else 4)
                        if position < 5 or (went and event is events[0])
                        else None,
                    )
                )
                if not went:
                    break
            # Outside the period: not counted.
            db.add(
                EventBooking(
                    event_id=events[2].id,
                    resident_id=person,
                    party_size=1,
                    status="booked",
                    position=position,
                    attended=True,
                    rating=1,
                )
            )
        announcement = Announcement(text="Bins on Tuesday", status="sent")
        db.add(announcement)
        await db.flush()
        sent = Broadcast(
            announcement_id=announcement.id,
            scheduled_for=starts[0],
            started_at=starts[0],
            status="sent",
        )
        db.add(sent)
        await db.flush()
        for person in people:
            db.add(
                Delivery(
                    kind="broadcast",
                    chat_id=person,
                    resident_id=person,
                    broadcast_id=sent.id,
                    payload={},
                    status="sent",
                )
            )
        db.add(
            Delivery(
                kind="broadcast",
                chat_id=1,
                resident_id=people[0],
                broadcast_id=sent.id,
                payload={},
                status="failed",
            )
        )
    result = await figures(sessions, JUNE)
    assert result.events_held == 2
    assert result.attendance == 12
    assert result.attendance_people == 24
    assert result.repeat_attendees == 6
    assert result.ratings.rows == [
        ("5 of 5", 6),
        ("4 of 5", 5),
        ("3 of 5", 0),
        ("2 of 5", 0),
        ("1 of 5", 0),
    ]
    assert result.rating_average == 4.55  # (6 x 5 + 5 x 4) / 11
    assert (result.broadcasts, result.messages_sent, result.reach) == (1, 7, 7)
