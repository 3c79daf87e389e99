"""The TSM perception survey's dashboard pages: the survey years (and opening one), and one
year's progress, results and summary of approach. Templates are in ``templates/``."""

from __future__ import annotations

from aiohttp import web

from bot.survey.web.year import survey_summary_save, survey_year
from bot.survey.web.years import survey_open, survey_years


def add_routes(app: web.Application) -> None:
    """The survey pages."""
    app.router.add_get("/survey", survey_years)
    app.router.add_post("/survey", survey_open)
    app.router.add_get("/survey/{year_id}", survey_year)
    app.router.add_post("/survey/{year_id}/summary", survey_summary_save)
