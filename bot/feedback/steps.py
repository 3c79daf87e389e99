"""The names of feedback's conversation steps and button codes.

The values are stored: a step in ``conversation_states`` (a resident half-way through a
report carries on after a restart) and a button code in the callback data of messages
already sent. Never change a value; add a new member instead.
"""

from __future__ import annotations

from enum import StrEnum


class FeedbackStep(StrEnum):
    """The resident's side: giving feedback, a complaint offered, answering staff."""

    CATEGORY = "fb_category"
    DESCRIPTION = "fb_description"
    SHARE_NAME = "fb_share_name"
    CONFIRM = "fb_confirm"
    # Words of dissatisfaction outside a report: make them a complaint?
    OFFER = "fb_offer"
    # The resident's answer to a staff reply.
    ANSWER = "fb_answer"
    # "Take this to stage 2?": the resident confirms an escalation request.
    STAGE_TWO = "fb_stage_two"
    # Adding to an opened report under My reports: words, or photos.
    ADD_INFO = "fb_add_info"
    ADD_PHOTO = "fb_add_photo"
    # After rating how a resolved report was handled: a comment, or "No comment".
    SATISFACTION_COMMENT = "fb_sat_comment"
    # A problem in a shared area: the open reports of the same kind nearby, "This is mine
    # too" or "No, mine is different" (bot.feedback.backing).
    SAME = "fb_same"


class FeedbackButton(StrEnum):
    """Buttons in the resident's conversation; the last seven work at any step."""

    CATEGORY = "cat"
    BACK = "back"
    NEXT = "next"
    DANGER = "danger"
    COMPLAIN = "complain"
    SHARE = "share"
    SEND = "send"
    EDIT = "edit"
    CANCEL = "cancel"
    OFFER = "offer"
    STAGE_TWO_YES = "s2yes"
    DONE = "done"
    # Anywhere buttons (revision 0): "Show older reports", Reply under a staff reply,
    # "take this to stage 2" under a stage-1 answer to a complaint; opening a report under
    # My reports, adding information or a photo to it, and reopening a resolved one.
    OLDER_REPORTS = "reports"
    ANSWER = "fbr"
    STAGE_TWO = "fbs2"
    OPEN_REPORT = "fbo"
    ADD_INFO = "fbi"
    ADD_PHOTO = "fbp"
    REOPEN = "fbro"
    # Under the question asked once a report is resolved (bot.feedback.satisfaction): the
    # answer (``fbsat:<feedback id>:<answer code>``); after a dissatisfied answer, reopen
    # it or make a complaint (``fbsr`` / ``fbsc:<feedback id>``). Anywhere buttons.
    SATISFACTION = "fbsat"
    SATISFACTION_REOPEN = "fbsr"
    SATISFACTION_COMPLAIN = "fbsc"
    # At the comment step (tied to the step).
    NO_COMMENT = "fbsnc"
    # Where the problem is (``area:<code>``, at the description step), and at the
    # same-kind step "This is mine too" (``metoo:<feedback id>``) or "No, mine is
    # different" (tied to the step).
    AREA = "area"
    ME_TOO = "metoo"
    DIFFERENT = "diff"
    # "Stop updates" about a report the resident backs (``fbw:<feedback id>``): under
    # each update and under My reports. An anywhere button.
    WITHDRAW = "fbw"


class StaffFeedbackStep(StrEnum):
    """Staff's side: writing a reply to the resident."""

    REPLY = "stf_reply"


class StaffFeedbackButton(StrEnum):
    """Staff buttons on a report.

    Those on notifications and lists work at any step (revision 0) and all share one
    code, ``STAFF``, followed by what they do: ``0:stf:<what>:<feedback id>[:<status>]``.
    """

    STAFF = "stf"
    ACKNOWLEDGE = "ack"
    REPLY = "reply"
    STATUS = "status"
    SET_STATUS = "set"
    VIEW = "view"
    # Under the reply prompt (tied to the step, not anywhere).
    CANCEL = "cancel"
    SEND_NOW = "now"
