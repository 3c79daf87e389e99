"""Subject access: everything held about a resident, from every feature that holds some."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.events.privacy import bookings_for_subject_access
from bot.feedback.privacy import reports_for_subject_access
from bot.models import Resident
from bot.residents.privacy import personal_data


async def everything_held(session: AsyncSession, resident: Resident) -> dict[str, Any]:
    """The resident's profile and conversation, their reports and their event bookings."""
    document = await personal_data(session, resident)
    document["reports"] = await reports_for_subject_access(session, resident.id)
    document["event_bookings"] = await bookings_for_subject_access(session, resident.id)
    return document


async def subject_access_file(session: AsyncSession, resident: Resident) -> bytes:
    """Everything held, as the JSON file the resident is sent (UTF-8, readable indentation)."""
    document = await everything_held(session, resident)
    return json.dumps(document, ensure_ascii=False, indent=2).encode()
