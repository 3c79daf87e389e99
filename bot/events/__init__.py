"""Community events: what is on, who is coming, reminders and calendar files."""
