"""Dashboard accounts: who may log in to the dashboard, and how.

- ``users``: usernames, roles, creating accounts, changing roles, (de)activating,
  changing one's own password.
- ``passwords``: the password policy and argon2 hashing.
- ``login``: one login from start to finish; ``throttle``: the limits on failed logins
  (atomic across replicas); ``recheck``: the current password asked again, as a login.
- ``sessions``: the database-backed sessions behind the cookie, logging out, CSRF tokens.
- ``totp``: two-step login with an authenticator app (RFC 6238).

No aiohttp here (the dashboard's shells in ``bot.web`` call these), so the CLI and tests
use the same rules. Functions take a session and never commit. Secrets never reach the
logs: only user ids (and session row ids) are logged.
"""
