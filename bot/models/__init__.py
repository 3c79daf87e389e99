"""All Doorstep models; importing this package registers every table on Base.metadata."""

from bot.models.base import Base
from bot.models.conversation import ConversationState
from bot.models.feedback import Feedback, FeedbackAttachment, FeedbackStatusChange, ReferenceCounter
from bot.models.neighbourhood import Neighbourhood, Topic
from bot.models.resident import Resident, resident_topics

__all__ = [
    "Base",
    "ConversationState",
    "Feedback",
    "FeedbackAttachment",
    "FeedbackStatusChange",
    "Neighbourhood",
    "ReferenceCounter",
    "Resident",
    "Topic",
    "resident_topics",
]
