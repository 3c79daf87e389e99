"""Community events, the residents' bookings and waitlist places, reminders sent, and the
volunteer roles an event asks for with the residents who volunteered."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.models.base import Base, BigId, TimestampMixin, UTCDateTime, utcnow
from bot.models.neighbourhood import Neighbourhood

# The neighbourhoods an event is for; none at all means association-wide.
event_neighbourhoods = Table(
    "event_neighbourhoods",
    Base.metadata,
    Column("event_id", Integer, ForeignKey("events.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "neighbourhood_id",
        Integer,
        ForeignKey("neighbourhoods.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
)


class Event(TimestampMixin, Base):
    """A coffee morning, clean-up or meeting residents can book places at."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_by_staff_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_members.id", ondelete="SET NULL")
    )
    title: Mapped[str] = mapped_column(String(120), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False)
    place: Mapped[str] = mapped_column(String(200), nullable=False)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    # Places are counted in people; None is unlimited.
    capacity: Mapped[int | None] = mapped_column(Integer)
    max_party: Mapped[int] = mapped_column(SmallInteger, default=1, nullable=False)
    # None: sign-up stays open until the start.
    signup_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)
    photo_file_id: Mapped[str | None] = mapped_column(String(256))
    # When places free up, may a smaller party behind one that does not fit go first?
    waitlist_skip_ahead: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    # published or cancelled (a draft lives in the staff member's conversation).
    status: Mapped[str] = mapped_column(String(16), default="published", nullable=False)
    # Bumped whenever residents would see a change: the calendar file's SEQUENCE.
    sequence: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    # The arrival counter: each sign-up takes the next number, under the event's lock.
    last_position: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The closing record, after the event.
    headcount: Mapped[int | None] = mapped_column(Integer)
    closing_notes: Mapped[str | None] = mapped_column(Text)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    neighbourhoods: Mapped[list[Neighbourhood]] = relationship(
        secondary=event_neighbourhoods, lazy="selectin", order_by=Neighbourhood.name
    )


class EventBooking(TimestampMixin, Base):
    """One resident's place (for their party) at an event, or their place on its waitlist.

    One row per resident and event: signing up again after cancelling reuses it, with a
    new arrival position. After /forget the row stays, without the resident, so that
    attendance figures stay true.
    """

    __tablename__ = "event_bookings"
    __table_args__ = (
        UniqueConstraint("event_id", "resident_id"),
        Index("ix_event_bookings_queue", "event_id", "status", "position"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    event_id: Mapped[int] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), nullable=False
    )
    resident_id: Mapped[int | None] = mapped_column(
        ForeignKey("residents.id", ondelete="SET NULL"), index=True
    )
    party_size: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    # booked, waitlisted or cancelled.
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    # Arrival order on the event (the waitlist is served in this order).
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    # When the place was given: at sign-up, or when promoted from the waitlist.
    booked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Marked by staff after the event.
    attended: Mapped[bool | None] = mapped_column(Boolean)
    # The resident's own answer to "Did you go? How was it?".
    said_attended: Mapped[bool | None] = mapped_column(Boolean)
    rating: Mapped[int | None] = mapped_column(SmallInteger)


class EventReminder(Base):
    """A reminder (or the after-event question) queued for a booking: each goes once.

    Keyed by the start time it was for, so moving the event makes new reminders due.
    """

    __tablename__ = "event_reminders"
    __table_args__ = (UniqueConstraint("booking_id", "kind", "starts_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    booking_id: Mapped[int] = mapped_column(
        ForeignKey("event_bookings.id", ondelete="CASCADE"), nullable=False
    )
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    # The outbox row: if it is withdrawn unsent (the place changed), this record goes too.
    delivery_id: Mapped[int | None] = mapped_column(
        ForeignKey("deliveries.id", ondelete="SET NULL"), index=True
    )
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class EventVolunteerRole(Base):
    """A job an event asks volunteers for ("Set up", "Serve food") and how many it needs.

    Unique on (id, event_id) too, so that a volunteer's row can point at its role and its
    event together, and the database itself keeps a resident to one role per event.
    """

    __tablename__ = "event_volunteer_roles"
    __table_args__ = (
        UniqueConstraint("event_id", "name"),
        UniqueConstraint("id", "event_id"),
        CheckConstraint("places >= 1", name="places_positive"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    event_id: Mapped[int] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), nullable=False
    )
    name: Mapped[str] = mapped_column(String(60), nullable=False)
    places: Mapped[int] = mapped_column(Integer, nullable=False)
    # The order staff listed the roles in.
    position: Mapped[int] = mapped_column(SmallInteger, default=0, nullable=False)


class EventVolunteer(Base):
    """A resident volunteering in one role at an event, and the hours staff recorded after.

    Withdrawing deletes the row (the place goes back to the role). After /forget a row with
    hours stays, without the resident, so that the association's volunteer hours stay true.
    """

    __tablename__ = "event_volunteers"
    __table_args__ = (
        UniqueConstraint("role_id", "resident_id"),
        # One role per resident and event: event_id is the role's, by the key below.
        UniqueConstraint("event_id", "resident_id"),
        ForeignKeyConstraint(
            ["role_id", "event_id"],
            ["event_volunteer_roles.id", "event_volunteer_roles.event_id"],
            ondelete="CASCADE",
        ),
        CheckConstraint("hours IS NULL OR (hours >= 0.25 AND hours <= 24)", name="hours_range"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    role_id: Mapped[int] = mapped_column(BigId, nullable=False, index=True)
    event_id: Mapped[int] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), nullable=False
    )
    resident_id: Mapped[int | None] = mapped_column(
        ForeignKey("residents.id", ondelete="SET NULL"), index=True
    )
    since: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    # Quarter hours from 0.25 to 24 (exact in binary floating point), once staff record them.
    hours: Mapped[float | None] = mapped_column(Float)
    recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
