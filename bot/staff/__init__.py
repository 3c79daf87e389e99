"""Staff: roles and invites, staff notifications and replies from Telegram, the audit log."""
