"""All Doorstep models; importing this package registers every table on Base.metadata."""

from bot.models.association import AssociationSettings
from bot.models.base import Base
from bot.models.broadcast import Announcement, Broadcast
from bot.models.case_satisfaction import CaseSatisfaction
from bot.models.chest import ChestBallot, ChestProject, ChestRound, ChestVote
from bot.models.conversation import ConversationState
from bot.models.delivery import Delivery
from bot.models.event import Event, EventBooking, EventReminder, event_neighbourhoods
from bot.models.feedback import (
    Feedback,
    FeedbackAssignment,
    FeedbackAttachment,
    FeedbackBacker,
    FeedbackDeadlineAlert,
    FeedbackExtension,
    FeedbackMessage,
    FeedbackNote,
    FeedbackStatusChange,
    HazardStep,
    ReferenceCounter,
)
from bot.models.idea import Idea, IdeaBacking
from bot.models.neighbourhood import Neighbourhood, Topic
from bot.models.poll import Poll, PollBallot, PollOption, PollVote
from bot.models.resident import Resident, resident_topics
from bot.models.send_budget import SendBudgetChat, SendBudgetSlot
from bot.models.social_value import SocialValue as SocialValue  # registered; not in __all__
from bot.models.staff import AuditEntry, StaffInvite, StaffMember, staff_neighbourhoods
from bot.models.survey import SurveyAnswer, SurveyInvitation, SurveyYear
from bot.models.tsm import TsmHomes
from bot.models.web import DashboardUser, LoginAttempt, WebSession

__all__ = [
    "Announcement",
    "AssociationSettings",
    "AuditEntry",
    "Base",
    "Broadcast",
    "CaseSatisfaction",
    "ChestBallot",
    "ChestProject",
    "ChestRound",
    "ChestVote",
    "ConversationState",
    "DashboardUser",
    "Delivery",
    "Event",
    "EventBooking",
    "EventReminder",
    "Feedback",
    "FeedbackAssignment",
    "FeedbackAttachment",
    "FeedbackBacker",
    "FeedbackDeadlineAlert",
    "FeedbackExtension",
    "FeedbackMessage",
    "FeedbackNote",
    "FeedbackStatusChange",
    "HazardStep",
    "Idea",
    "IdeaBacking",
    "LoginAttempt",
    "Neighbourhood",
    "Poll",
    "PollBallot",
    "PollOption",
    "PollVote",
    "ReferenceCounter",
    "Resident",
    "SendBudgetChat",
    "SendBudgetSlot",
    "StaffInvite",
    "StaffMember",
    "SurveyAnswer",
    "SurveyInvitation",
    "SurveyYear",
    "Topic",
    "TsmHomes",
    "WebSession",
    "event_neighbourhoods",
    "resident_topics",
    "staff_neighbourhoods",
]
