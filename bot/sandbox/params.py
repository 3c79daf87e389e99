"""Reading Bot API parameters from query strings, JSON, urlencoded forms and multipart."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from aiohttp import web


class BotApiError(Exception):
    """An error answer: HTTP status == error_code, Telegram-like description."""

    def __init__(
        self, code: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def body(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.parameters:
            d["parameters"] = self.parameters
        return d


def bad_request(text: str) -> BotApiError:
    return BotApiError(400, f"Bad Request: {text}")


@dataclass
class Upload:
    """A file sent in a multipart part."""

    data: bytes
    filename: str | None
    content_type: str | None


class Params:
    """Typed access to request parameters, whatever encoding the client chose."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values

    @classmethod
    async def from_request(cls, request: web.Request) -> Params:
        values: dict[str, Any] = dict(request.query)
        if request.method == "POST" and request.can_read_body:
            ctype = request.content_type
            if ctype == "application/json":
                try:
                    body = await request.json()
                except ValueError as exc:
                    raise bad_request("can't parse JSON request body") from exc
                if not isinstance(body, dict):
                    raise bad_request("JSON request body must be an object")
                values.update(body)
            elif ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
                form = await request.post()
                for key, value in form.items():
                    if isinstance(value, web.FileField):
                        values[key] = Upload(value.file.read(), value.filename, value.content_type)
                    elif isinstance(value, bytes):
                        values[key] = value.decode("utf-8", "replace")
                    else:
                        values[key] = value
        return cls(values)

    def has(self, name: str) -> bool:
        return self.values.get(name) is not None

    def text(self, name: str) -> str | None:
        value = self.values.get(name)
        if value is None:
            return None
        if isinstance(value, Upload):
            return value.data.decode("utf-8", "replace")
        if isinstance(value, str):
            return value
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int | float):
            return str(value)
        return json.dumps(value)

    def integer(self, name: str, default: int | None = None) -> int | None:
        value = self.values.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, int):
            return value
        try:
            return int(str(value).strip())
        except ValueError:
            raise bad_request(f"invalid {name} specified") from None

    def number(self, name: str) -> float | None:
        value = self.values.get(name)
        if value is None or value == "":
            return None
        try:
            return float(value)
        except (TypeError, ValueError):
            raise bad_request(f"invalid {name} specified") from None

    def flag(self, name: str, default: bool = False) -> bool:
        value = self.values.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return value
        return str(value).strip().lower() in ("true", "1", "yes")

    def obj(self, name: str) -> Any:
        """An object parameter: decoded if it arrived as a JSON string."""
        value = self.values.get(name)
        if isinstance(value, Upload):
            value = value.data.decode("utf-8", "replace")
        if isinstance(value, str):
            if value == "":
                return None
            try:
                return json.loads(value)
            except ValueError:
                raise bad_request(f"can't parse {name} JSON object") from None
        return value

    def file(self, name: str) -> Upload | str | None:
        value = self.values.get(name)
        if value is None or isinstance(value, Upload):
            return value
        text = self.text(name) or ""
        if text.startswith("attach://"):
            attached = self.values.get(text[len("attach://") :])
            if isinstance(attached, Upload):
                return attached
            raise bad_request(f"file {text} not found in the request")
        return text
