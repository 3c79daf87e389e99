"""The /newevent preview for staff: the event as residents will read it, then Publish (or,
when editing a published event, Save changes), a Change button per answer, or Cancel.

Publish acts on that preview once; a Change button goes to its question and then
straight back to the preview. A plan the rules refuse sends the staff member back to the
question that needs a new answer.
"""

from __future__ import annotations

from telegram import InlineKeyboardMarkup

from bot.errors import DomainError, InvalidInput, StaleAction
from bot.events.managing import NOT_EDITABLE, EditOutcome, update_event
from bot.events.notices import Notices
from bot.events.plans import EventPlan, check_plan, publish_event
from bot.events.steps import NEW_EVENT_FLOW, NewEventButton, NewEventStep, StaffEventButton
from bot.events.telegram_answers import choice, editing_of, moment, plan_of, press_arg, when
from bot.i18n import N_, format_moment
from bot.models import Event, StaffMember
from bot.models.base import utcnow
from bot.residents.service import neighbourhoods_by_name
from bot.tg.conversation import Flow, Step, Turn, TurnHandler, inline, pairs

# Where a refused plan sends the staff member back to (the service's messages).
_STEP_OF_REFUSAL = {
    "The start has already passed. Please choose a start in the future.": NewEventStep.START,
    "The end must be after the start.": NewEventStep.END,
    "An event can last at most 14 days. Please check the end.": NewEventStep.END,
    "The sign-up deadline must be in the future and no later than the start.": (
        NewEventStep.DEADLINE
    ),
    "Please type a whole number from {low} to {high}.": NewEventStep.PARTY,
    "The capacity ({capacity}) is smaller than the largest party ({party}). Raise the "
    "capacity or lower the party size.": NewEventStep.CAPACITY,
    "{booked} places are already booked, so the capacity cannot be lower than that.": (
        NewEventStep.CAPACITY
    ),
}


async def send_back(turn: Turn, refusal: DomainError) -> bool:
    """Send the staff member to the question a refused plan needs fixed; False if none."""
    step = _STEP_OF_REFUSAL.get(refusal.message_id)
    if step is None:
        return False
    turn.keep(ready=True)
    turn.go(step)
    turn.reply(turn._(refusal.message_id).format(**refusal.params))
    await turn.prompt_current()
    return True


def _keeping_deadline(turn: Turn, plan: EventPlan) -> bool:
    """An edit leaving the deadline as it was (it may have passed) is not refused for it."""
    return editing_of(turn) is not None and plan.signup_deadline == moment(
        turn.data.get("kept_deadline")
    )


async def show_preview(turn: Turn) -> None:
    """Check the whole plan; show the preview, or go back to the answer that needs fixing."""
    plan = plan_of(turn)
    try:
        check_plan(plan, utcnow(), keeping_deadline=_keeping_deadline(turn, plan))
    except InvalidInput as refusal:
        if await send_back(turn, refusal):
            return
        raise
    turn.keep(ready=True)
    turn.go(NewEventStep.PREVIEW)
    await turn.prompt_current()


# ----- the preview ----------------------------------------------------------------------------


async def _area_names(turn: Turn, ids: tuple[int, ...]) -> list[str]:
    if not ids:
        return []
    return [n.name for n in await neighbourhoods_by_name(turn.session, ids)]


def _event_text(turn: Turn, plan: EventPlan, area_names: list[str]) -> str:
    """The event as residents will read it."""
    _ = turn._
    tz, language = turn.settings.tz, turn.language
    lines = [
        plan.title,
        _("When: {when}").format(when=when(turn, plan.starts_at, plan.ends_at)),
        _("Where: {place}").format(place=plan.place),
        "",
        plan.description,
        "",
        _("For: {areas}").format(areas=", ".join(area_names))
        if area_names
        else _("For: everyone in the association"),
        _("Places: {count}").format(count=plan.capacity)
        if plan.capacity is not None
        else _("No limit on places"),
        _("Each resident can book for up to {count} people.").format(count=plan.max_party)
        if plan.max_party > 1
        else _("One place per resident."),
        _("Sign up by: {when}").format(when=format_moment(plan.signup_deadline, tz, language))
        if plan.signup_deadline is not None
        else _("Sign-up is open until it starts."),
    ]
    if plan.capacity is not None and plan.max_party > 1:
        lines.append(
            _("Waitlist: smaller parties may go first when places free up.")
            if plan.waitlist_skip_ahead
            else _("Waitlist: strictly in order.")
        )
    if plan.latitude is not None:
        lines.append(_("With a map pin."))
    return "\n".join(lines)


_CHANGES = (
    ("title", N_("Change title"), NewEventStep.TITLE),
    ("desc", N_("Change description"), NewEventStep.DESCRIPTION),
    ("place", N_("Change place"), NewEventStep.PLACE),
    ("time", N_("Change time"), NewEventStep.START),
    ("areas", N_("Change neighbourhoods"), NewEventStep.AREAS),
    ("places", N_("Change places"), NewEventStep.CAPACITY),
    ("deadline", N_("Change sign-up deadline"), NewEventStep.DEADLINE),
    ("photo", N_("Change photo"), NewEventStep.PHOTO),
)
_CHANGE_STEPS = {code: step for code, _label, step in _CHANGES}


def _preview_markup(turn: Turn, editing: int | None) -> InlineKeyboardMarkup:
    """Publish (or Save changes), a Change button per answer, Cancel."""
    _ = turn._
    label = _("Save changes") if editing is not None else _("Publish")
    primary = turn.button(label, StaffEventButton.PUBLISH, turn.revision, anywhere=True)
    changes = [turn.button(_(words), NewEventButton.CHANGE, code) for code, words, _s in _CHANGES]
    return inline([[primary], *pairs(changes), [turn.button(_("Cancel"), NewEventButton.DROP)]])


async def prompt_preview(turn: Turn) -> None:
    """The event as residents will read it, then Publish (or Save changes), Change, Cancel."""
    _ = turn._
    plan = plan_of(turn)
    if plan.photo_file_id:
        turn.send_photo(plan.photo_file_id)  # above the words, as residents see it
    turn.reply(_event_text(turn, plan, await _area_names(turn, plan.neighbourhood_ids)))
    editing = editing_of(turn)
    turn.reply(
        _("Above is the event as residents will read it. Save the changes, or change something.")
        if editing is not None
        else _("Above is the event as residents will read it. Publish it, or change something."),
        _preview_markup(turn, editing),
    )


async def handle_preview(turn: Turn) -> None:
    """At the preview: a Change button or Cancel (Publish works from anywhere)."""
    if await turn.staff_or_stop() is None:
        return
    press = turn.press
    if press is None:
        raise InvalidInput("Please use the buttons under the preview.")
    if press.action == NewEventButton.DROP:
        turn.answer_press()
        turn.edit_buttons(None)
        editing = editing_of(turn)
        turn.end()
        turn.reply(
            turn._("Cancelled. The event is unchanged.")
            if editing is not None
            else turn._("Cancelled. Nothing has been published.")
        )
        return
    step = _CHANGE_STEPS.get(choice(turn, NewEventButton.CHANGE))
    if step is None:
        raise StaleAction("That button no longer works.")
    turn.go(step)
    await turn.prompt_current()


# ----- Publish / Save changes -----------------------------------------------------------------


_CHANGED_WORDS = {
    "title": N_("title"),
    "description": N_("description"),
    "place": N_("place"),
    "latitude": N_("map pin"),
    "longitude": N_("map pin"),
    "starts_at": N_("time"),
    "ends_at": N_("time"),
    "neighbourhood_ids": N_("neighbourhoods"),
    "capacity": N_("places"),
    "max_party": N_("largest party"),
    "signup_deadline": N_("sign-up deadline"),
    "photo_file_id": N_("photo"),
    "waitlist_skip_ahead": N_("waitlist rule"),
}


def _done(turn: Turn, revision: int, event_id: int, *, edit: bool) -> None:
    """Leave the conversation, remembering which preview was acted on (for a second press)."""
    turn.end()
    assert turn.state is not None
    turn.state.data = {"done_revision": revision, "done_event": event_id, "done_edit": edit}


def _refuse_out_of_date(turn: Turn, revision: int) -> None:
    """Refuse a Publish under a preview acted on already, or no longer the current one."""
    data = turn.data
    if turn.step is None and data.get("done_revision") == revision:
        if data.get("done_edit"):
            raise InvalidInput("Those changes have already been saved.")
        raise InvalidInput("This event has already been published.")
    if turn.step != NewEventStep.PREVIEW or turn.revision != revision:
        raise StaleAction("That preview is out of date. Send /newevent to start again.")


async def _save(
    turn: Turn, plan: EventPlan, staff: StaffMember, editing: int | None
) -> tuple[Event, EditOutcome | None]:
    """Publish the new event, or save the changes to the one being edited."""
    now = utcnow()
    if editing is None:
        return await publish_event(turn.session, plan, staff, now=now), None
    sequence = turn.data.get("sequence")
    outcome = await update_event(
        turn.session,
        editing,
        plan,
        staff,
        Notices.of(turn.settings),
        now=now,
        edited_sequence=sequence if isinstance(sequence, int) else None,
    )
    return outcome.event, outcome


async def _refused(turn: Turn, refusal: InvalidInput) -> None:
    """A plan refused at Publish (before anything was written): say why, and where next."""
    turn.answer_press()
    turn.edit_buttons(None)
    if refusal.message_id in NOT_EDITABLE:
        turn.end()
        turn.reply(turn._(refusal.message_id))
        return
    if not await send_back(turn, refusal):
        raise refusal


async def on_publish(turn: Turn) -> None:
    """Publish (or Save changes) under the preview: acts once, on that preview only."""
    staff = await turn.require_staff()
    _ = turn._
    revision = press_arg(turn)
    _refuse_out_of_date(turn, revision)
    plan, editing = plan_of(turn), editing_of(turn)
    try:
        event, outcome = await _save(turn, plan, staff, editing)
    except InvalidInput as refusal:
        await _refused(turn, refusal)
        return
    turn.answer_press(_("Done."))
    turn.edit_buttons(None)
    _done(turn, revision, event.id, edit=editing is not None)
    manage = turn.button(_("Manage"), StaffEventButton.MANAGE, event.id, anywhere=True)
    if outcome is None:
        announce = turn.button(
            _("Announce it to residents"), StaffEventButton.ANNOUNCE, event.id, anywhere=True
        )
        turn.reply(
            _("Published: {title}, {when}. Residents it is for can see it in Events now.").format(
                title=event.title, when=when(turn, event.starts_at, event.ends_at)
            ),
            inline([[announce], [manage]]),
        )
        return
    if not outcome.changed:
        turn.reply(_("Nothing was changed."), inline([[manage]]))
        return
    words = list(dict.fromkeys(_(_CHANGED_WORDS.get(key, key)) for key in outcome.changed))
    turn.reply(
        _(
            "Saved changes to {title}: {changes}. Residents told: {told}. Moved up from the "
            "waitlist: {promoted}."
        ).format(
            title=event.title,
            changes=", ".join(words),
            told=outcome.told,
            promoted=len(outcome.promoted),
        ),
        inline([[manage]]),
    )


STEPS: dict[str, Step] = {
    NewEventStep.PREVIEW: Step(NEW_EVENT_FLOW, prompt_preview, handle_preview, staff_only=True),
}

# Publish works from anywhere (revision 0) and checks the preview's revision itself.
PRESS_ACTIONS: dict[str, TurnHandler] = {StaffEventButton.PUBLISH: on_publish}

FLOW = Flow("events_preview", STEPS, presses=PRESS_ACTIONS)
