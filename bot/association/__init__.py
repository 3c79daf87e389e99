"""The association's own settings: what admins change on the dashboard, over the environment's."""
