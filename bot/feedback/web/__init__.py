"""The dashboard's feedback pages: the inbox and its export, one report, staff actions on
it, its photos, and its full record."""

from __future__ import annotations

from aiohttp import web

from bot.feedback.web import actions, detail, export, inbox, photos, record


def add_routes(app: web.Application) -> None:
    """The feedback inbox pages."""
    app.router.add_get("/feedback", inbox.feedback_list)
    # Before /feedback/{feedback_id}, so that "export.csv" is never taken for an id.
    app.router.add_get("/feedback/export.csv", export.feedback_export_csv)
    app.router.add_get("/feedback/export.xlsx", export.feedback_export_xlsx)
    app.router.add_get("/feedback/{feedback_id}", detail.feedback_detail)
    app.router.add_post("/feedback/{feedback_id}/acknowledge", actions.feedback_acknowledge)
    app.router.add_post("/feedback/{feedback_id}/status", actions.feedback_status)
    app.router.add_post("/feedback/{feedback_id}/reply", actions.feedback_reply)
    app.router.add_post("/feedback/{feedback_id}/notes", actions.feedback_note)
    app.router.add_post("/feedback/{feedback_id}/assign", actions.feedback_assign)
    app.router.add_post("/feedback/{feedback_id}/escalate", actions.feedback_escalate)
    app.router.add_post("/feedback/{feedback_id}/extend", actions.feedback_extend)
    app.router.add_post("/feedback/{feedback_id}/hazard", actions.feedback_hazard)
    app.router.add_post("/feedback/{feedback_id}/hate-incident", actions.feedback_hate_incident)
    app.router.add_post("/feedback/{feedback_id}/update", actions.feedback_public_update)
    app.router.add_post("/feedback/{feedback_id}/merge", actions.feedback_merge)
    app.router.add_post("/feedback/{feedback_id}/hazard/step", actions.feedback_hazard_step)
    app.router.add_post("/feedback/{feedback_id}/hazard/summary", actions.feedback_hazard_summary)
    app.router.add_post(
        "/feedback/{feedback_id}/hazard/accommodation", actions.feedback_hazard_accommodation
    )
    app.router.add_get("/feedback/{feedback_id}/photos/{attachment_id}", photos.feedback_photo)
    app.router.add_get("/feedback/{feedback_id}/record", record.feedback_record)
