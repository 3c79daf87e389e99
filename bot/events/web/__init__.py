"""The dashboard's events pages: the list, the form, one event with its roster, what staff
do with it, and its files. Templates are in ``templates/`` beside them."""

from __future__ import annotations

from aiohttp import web

from bot.events.web.actions import (
    event_all_came,
    event_announce,
    event_attendance,
    event_cancel,
    event_close,
    event_volunteer_hours,
)
from bot.events.web.detail import event_cancel_form, event_detail
from bot.events.web.editing import event_create, event_edit_form, event_new_form, event_update
from bot.events.web.files import event_attendees_csv, event_attendees_xlsx, event_calendar
from bot.events.web.listing import event_list


def add_routes(app: web.Application) -> None:
    """The events pages."""
    app.router.add_get("/events", event_list)
    # Before /events/{event_id}, so that "new" is never taken for an id.
    app.router.add_get("/events/new", event_new_form)
    app.router.add_post("/events/new", event_create)
    app.router.add_get("/events/{event_id}", event_detail)
    app.router.add_get("/events/{event_id}/edit", event_edit_form)
    app.router.add_post("/events/{event_id}/edit", event_update)
    app.router.add_get("/events/{event_id}/cancel", event_cancel_form)
    app.router.add_post("/events/{event_id}/cancel", event_cancel)
    app.router.add_post("/events/{event_id}/attendance", event_attendance)
    app.router.add_post("/events/{event_id}/all-came", event_all_came)
    app.router.add_post("/events/{event_id}/close", event_close)
    app.router.add_post("/events/{event_id}/volunteer-hours", event_volunteer_hours)
    app.router.add_post("/events/{event_id}/announce", event_announce)
    app.router.add_get("/events/{event_id}/attendees.csv", event_attendees_csv)
    app.router.add_get("/events/{event_id}/attendees.xlsx", event_attendees_xlsx)
    app.router.add_get("/events/{event_id}/calendar.ics", event_calendar)
