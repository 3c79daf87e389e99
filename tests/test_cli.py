"""The doorstep command: clear one-line configuration errors, migrate, export, neighbourhoods."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest

DOORSTEP = [sys.executable, "-m", "bot"]


def doorstep(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_"))}
    return subprocess.run(
        [*DOORSTEP, *args],
        env={**clean, **(env or {})},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("variable", "value", "named"),
    [
        ("DATABASE_URL", "mysql://root@localhost/x", "DATABASE_URL"),
        ("WEB_PORT", "eighty", "WEB_PORT"),
        ("TIMEZONE", "Mars/Olympus_Mons", "TIMEZONE"),
        ("TELEGRAM_BOT_TOKEN", "not a token", "TELEGRAM_BOT_TOKEN"),
        ("TELEGRAM_API_BASE_URL", "api.telegram.org/bot", "TELEGRAM_API_BASE_URL"),
        ("BANK_HOLIDAY_REGION", "wales-only", "BANK_HOLIDAY_REGION"),
        ("EMERGENCY_WORDS", " , ", "EMERGENCY_WORDS"),
        ("WEBHOOK_URL", "bot.example.org/telegram/webhook", "WEBHOOK_URL"),
        ("WEBHOOK_URL", "http://bot.example.org/telegram/webhook", "WEBHOOK_URL"),
        ("WEBHOOK_URL", "https://bot.example.org:99999/hook", "WEBHOOK_URL"),
        ("WEBHOOK_SECRET", "has spaces and !", "WEBHOOK_SECRET"),
        ("WEBHOOK_SECRET", "x" * 257, "WEBHOOK_SECRET"),
        ("WEBHOOK_PATH", "telegram/webhook", "WEBHOOK_PATH"),
        ("WEBHOOK_PATH", "/metrics", "WEBHOOK_PATH"),
        ("WEBHOOK_MAX_CONNECTIONS", "0", "WEBHOOK_MAX_CONNECTIONS"),
        ("WEBHOOK_MAX_CONNECTIONS", "101", "WEBHOOK_MAX_CONNECTIONS"),
    ],
)
def test_malformed_setting_stops_with_one_line_naming_it(
    tmp_path: Path, variable: str, value: str, named: str
) -> None:
    result = doorstep("migrate", env={variable: value}, cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"Configuration error: {named}:")
    assert "Traceback" not in result.stderr


def test_run_without_token_says_so(tmp_path: Path) -> None:
    result = doorstep("run", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "Configuration error: TELEGRAM_BOT_TOKEN: not set (get one from @BotFather)."
    )


def test_unreachable_database_is_one_line(tmp_path: Path) -> None:
    result = doorstep(
        "migrate", env={"DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"}, cwd=tmp_path
    )
    assert result.returncode == 2
    assert result.stderr.strip().startswith("Database error: DATABASE_URL:")
    assert "Traceback" not in result.stderr


def test_migrate_neighbourhoods_and_export_on_the_default_sqlite(tmp_path: Path) -> None:
    assert doorstep("migrate", cwd=tmp_path).returncode == 0
    assert (tmp_path / "data" / "doorstep.sqlite3").exists()
    added = doorstep("neighbourhoods", "add", "Riverside", "Riverside Estate", cwd=tmp_path)
    assert added.returncode == 0, added.stderr
    assert "start=riverside" in added.stdout
    again = doorstep("neighbourhoods", "add", "riverside", "Again", cwd=tmp_path)
    assert again.returncode == 2 and "already exists" in again.stderr
    listed = doorstep("neighbourhoods", "list", cwd=tmp_path)
    assert listed.stdout.strip() == "riverside\tRiverside Estate"
    out = tmp_path / "feedback.csv"
    exported = doorstep("export", "feedback", "--format", "csv", "--output", str(out), cwd=tmp_path)
    assert exported.returncode == 0, exported.stderr
    with out.open(encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    assert rows[0][0] == "reference" and len(rows) == 1


def test_export_refuses_a_bad_date_range(tmp_path: Path) -> None:
    result = doorstep(
        "export",
        "feedback",
        "--since",
        "2026-05-01",
        "--until",
        "2026-04-01",
        "--output",
        str(tmp_path / "x.csv"),
        cwd=tmp_path,
    )
    assert result.returncode == 2 and "--since" in result.stderr
    result = doorstep("export", "feedback", "--since", "1st May", "--output", "x.csv", cwd=tmp_path)
    assert result.returncode == 2 and "is not a date" in result.stderr


def test_run_against_an_unreachable_bot_api_is_one_line(tmp_path: Path) -> None:
    result = doorstep(
        "run",
        env={
            "TELEGRAM_BOT_TOKEN": "123:ABCDEFGHIJKLMNOP",
            "TELEGRAM_API_BASE_URL": "http://127.0.0.1:1/bot",
            "WEB_PORT": "0",
        },
        cwd=tmp_path,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith("Connection error: TELEGRAM_API_BASE_URL: cannot reach")
    assert "Traceback" not in result.stderr


def test_demo_on_a_busy_port_is_one_line(tmp_path: Path) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = doorstep("demo", "--port", str(port), "--web-port", "0", cwd=tmp_path)
        assert result.returncode == 2
        assert result.stderr.strip().splitlines()[-1].startswith("Demo error: --port:")
        result = doorstep("demo", "--port", "0", "--web-port", str(port), cwd=tmp_path)
        assert result.returncode == 2
        assert result.stderr.strip().splitlines()[-1].startswith("Configuration error: --web-port:")
    assert "Traceback" not in result.stderr


def test_an_empty_api_url_means_the_official_one() -> None:
    from bot.config import OFFICIAL_API_BASE_URL, load_settings

    settings = load_settings(telegram_api_base_url="")
    assert settings.telegram_api_base_url == OFFICIAL_API_BASE_URL
    assert settings.file_url == "https://api.telegram.org/file/bot"


def test_a_webhook_needs_its_shared_secret(tmp_path: Path) -> None:
    result = doorstep(
        "migrate", env={"WEBHOOK_URL": "https://bot.example.org/telegram/webhook"}, cwd=tmp_path
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(
        "Configuration error: WEBHOOK_SECRET: required when WEBHOOK_URL is set"
    )


def test_webhook_settings_and_what_they_derive() -> None:
    from bot.config import ConfigError, load_settings

    polling = load_settings(webhook_url="", webhook_secret="")
    assert not polling.webhook_mode and polling.webhook_path is None
    hook = load_settings(
        webhook_url="https://bot.example.org/telegram/webhook", webhook_secret="s3cret_-X"
    )
    assert hook.webhook_mode
    assert hook.webhook_path == "/telegram/webhook"  # the URL's own path
    assert hook.webhook_max_connections == 40
    assert "s3cret" not in repr(hook)  # the secret stays out of reprs and so out of logs
    behind_proxy = load_settings(
        webhook_url="https://bot.example.org/hooks/doorstep",
        webhook_secret="a",
        webhook_path="/telegram/webhook",
    )
    assert behind_proxy.webhook_path == "/telegram/webhook"
    local = load_settings(webhook_url="http://127.0.0.1:8080/tg", webhook_secret="a")
    assert local.webhook_path == "/tg"
    with pytest.raises(ConfigError, match=r"^Configuration error: WEBHOOK_URL: its path /healthz"):
        load_settings(webhook_url="https://bot.example.org/healthz", webhook_secret="a")
