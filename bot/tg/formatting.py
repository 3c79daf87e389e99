"""Turn HTML / MarkdownV2 / Markdown text into plain text plus entities, like Telegram does.

The parsers are deliberately strict in the same places Telegram is strict, so that a message
our bot would fail to send for real also fails against the sandbox, and so that the
dashboard can check an announcement's formatting before anything is sent (it cannot ask
Telegram first, as /announce does). Offsets and lengths are in UTF-16 code units, as in
the Bot API.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any

JSONDict = dict[str, Any]


class EntityParseError(ValueError):
    """The text could not be parsed; the message mimics Telegram's wording."""


def utf16_len(text: str) -> int:
    """Length of text in UTF-16 code units (what Bot API offsets count)."""
    return len(text.encode("utf-16-le")) // 2


def _byte_offset(src: str, index: int) -> int:
    return len(src[:index].encode("utf-8"))


@dataclass
class _Builder:
    """Collects output text and finished entities."""

    parts: list[str] = field(default_factory=list)
    length16: int = 0
    entities: list[JSONDict] = field(default_factory=list)

    def add(self, text: str) -> None:
        self.parts.append(text)
        self.length16 += utf16_len(text)

    def entity(self, kind: str, start: int, **extra: Any) -> None:
        length = self.length16 - start
        if length > 0:
            self.entities.append({"type": kind, "offset": start, "length": length, **extra})

    def result(self) -> tuple[str, list[JSONDict]]:
        ents = sorted(self.entities, key=lambda e: (e["offset"], -e["length"]))
        return "".join(self.parts), ents


# --------------------------------------------------------------------------------- HTML

_HTML_SIMPLE = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
}
_HTML_SUPPORTED = {*_HTML_SIMPLE, "a", "span", "tg-emoji", "blockquote"}
_TAG_RE = re.compile(r"^([A-Za-z][A-Za-z0-9-]*)(.*)$", re.DOTALL)
_ATTR_RE = re.compile(r"""([A-Za-z_:-]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?""")
_ENTITY_RE = re.compile(r"&(#x[0-9A-Fa-f]{1,6}|#[0-9]{1,7}|[A-Za-z]{2,8});")
_HTML_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


@dataclass
class _OpenTag:
    name: str
    start: int
    kind: str | None
    extra: JSONDict


def _parse_attrs(text: str) -> dict[str, str]:
    attrs: dict[str, str] = {}
    for m in _ATTR_RE.finditer(text):
        value = m.group(2) if m.group(2) is not None else m.group(3)
        if value is None:
            value = m.group(4) or ""
        attrs[m.group(1).lower()] = html.unescape(value)
    return attrs


def _open_html_tag(
    src: str, index: int, inner: str, start16: int, stack: list[_OpenTag]
) -> _OpenTag:
    m = _TAG_RE.match(inner.rstrip("/").strip())
    name = m.group(1).lower() if m else inner.strip()
    if not m or name not in _HTML_SUPPORTED:
        raise EntityParseError(
            f'Unsupported start tag "{name}" at byte offset {_byte_offset(src, index)}'
        )
    attrs = _parse_attrs(m.group(2))
    kind: str | None = _HTML_SIMPLE.get(name)
    extra: JSONDict = {}
    if name == "a":
        href = attrs.get("href", "").strip()
        if href.startswith("tg://user?id="):
            kind = "text_mention"
            extra = {
                "user": {
                    "id": int(href.split("=", 1)[1] or 0),
                    "is_bot": False,
                    "first_name": "User",
                }
            }
        elif href:
            kind, extra = "text_link", {"url": href}
    elif name == "span":
        if attrs.get("class") != "tg-spoiler":
            raise EntityParseError('Tag "span" must have class "tg-spoiler"')
        kind = "spoiler"
    elif name == "tg-emoji":
        if "emoji-id" not in attrs:
            raise EntityParseError('Tag "tg-emoji" must have attribute "emoji-id"')
        kind, extra = "custom_emoji", {"custom_emoji_id": attrs["emoji-id"]}
    elif name == "blockquote":
        kind = "expandable_blockquote" if "expandable" in attrs else "blockquote"
    elif name == "code" and stack and stack[-1].name == "pre":
        lang = attrs.get("class", "")
        if lang.startswith("language-") and stack[-1].start == start16:
            stack[-1].extra = {"language": lang[len("language-") :]}
            kind = None
    return _OpenTag(name, start16, kind, extra)


def parse_html(src: str) -> tuple[str, list[JSONDict]]:
    """Parse Telegram-flavoured HTML."""
    out = _Builder()
    stack: list[_OpenTag] = []
    i, n = 0, len(src)
    while i < n:
        ch = src[i]
        if ch == "<":
            end = src.find(">", i)
            if end == -1:
                raise EntityParseError(f"Unclosed start tag at byte offset {_byte_offset(src, i)}")
            inner = src[i + 1 : end]
            if inner.startswith("/"):
                name = inner[1:].strip().lower()
                if not stack:
                    raise EntityParseError(
                        f"Unexpected end tag at byte offset {_byte_offset(src, i)}"
                    )
                top = stack[-1]
                if name and name != top.name:
                    raise EntityParseError(
                        f'Can\'t find end tag corresponding to start tag "{top.name}"'
                    )
                stack.pop()
                if top.kind:
                    out.entity(top.kind, top.start, **top.extra)
            else:
                stack.append(_open_html_tag(src, i, inner, out.length16, stack))
            i = end + 1
        elif ch == "&":
            m = _ENTITY_RE.match(src, i)
            if m is None:
                out.add("&")
                i += 1
                continue
            ref = m.group(1)
            if ref.startswith("#x"):
                out.add(chr(min(int(ref[2:], 16), 0x10FFFF)))
            elif ref.startswith("#"):
                out.add(chr(min(int(ref[1:]), 0x10FFFF)))
            else:
                out.add(_HTML_NAMED.get(ref.lower(), m.group(0)))
            i = m.end()
        else:
            nxt = min((p for p in (src.find("<", i), src.find("&", i)) if p != -1), default=n)
            out.add(src[i:nxt])
            i = nxt
    if stack:
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    return out.result()


# --------------------------------------------------------------------------- MarkdownV2

_V2_RESERVED = set("_*[]()~`>#+-=|{}.!")
_V2_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "text_link": "TextUrl",
}


def _reserved(ch: str) -> EntityParseError:
    return EntityParseError(
        f"Character '{ch}' is reserved and must be escaped with the preceding '\\'"
    )


def _read_until(src: str, i: int, closing: str, kind: str) -> tuple[str, int]:
    """Read escaped content up to `closing`; return (content, index after closing)."""
    buf: list[str] = []
    start = i
    while i < len(src):
        if src[i] == "\\" and i + 1 < len(src):
            buf.append(src[i + 1])
            i += 2
        elif src.startswith(closing, i):
            return "".join(buf), i + len(closing)
        else:
            buf.append(src[i])
            i += 1
    raise EntityParseError(
        f"Can't find end of {kind} entity at byte offset {_byte_offset(src, start)}"
    )


def parse_markdown_v2(src: str) -> tuple[str, list[JSONDict]]:
    """Parse MarkdownV2, including Telegram's reserved-character rule."""
    return _MarkdownV2(src).parse()


class _MarkdownV2:
    """One MarkdownV2 parse: the source, where it is, the entities still open, the output."""

    def __init__(self, src: str) -> None:
        self.src = src
        self.i = 0
        self.out = _Builder()
        self.stack: list[tuple[str, int, int]] = []  # (kind, start16, source index)
        self.quote_start: int | None = None

    def parse(self) -> tuple[str, list[JSONDict]]:
        while self.i < len(self.src):
            self._token()
        if self.quote_start is not None:
            self.out.entity("blockquote", self.quote_start)
        if self.stack:
            kind, _, index = self.stack[-1]
            raise EntityParseError(
                f"Can't find end of {_V2_NAMES.get(kind, kind)} entity at byte offset "
                f"{_byte_offset(self.src, index)}"
            )
        return self.out.result()

    def _token(self) -> None:
        """Read what starts at ``self.i``: an escape, markup, or a plain character."""
        src, i = self.src, self.i
        ch = src[i]
        if ch == "\\":
            self._escaped()
        elif ch == "`":
            self._code()
        elif ch == "*":
            self._toggle("bold", 1)
        elif ch == "_":
            if src.startswith("__", i):
                self._toggle("underline", 2)
            else:
                self._toggle("italic", 1)
        elif ch == "~":
            self._toggle("strikethrough", 1)
        elif ch == "|" and src.startswith("||", i):
            self._toggle("spoiler", 2)
        elif ch == "[":
            self.stack.append(("text_link", self.out.length16, i))
            self.i += 1
        elif ch == "]" and self.stack and self.stack[-1][0] == "text_link":
            self._link_end()
        elif ch == ">" and (i == 0 or src[i - 1] == "\n"):
            if self.quote_start is None:
                self.quote_start = self.out.length16
            self.i += 1
        elif ch in _V2_RESERVED:
            raise _reserved(ch)
        else:
            self._plain(ch)

    def _toggle(self, kind: str, width: int) -> None:
        """Close the innermost open ``kind``, or open one; then step over the marker."""
        for pos in range(len(self.stack) - 1, -1, -1):
            if self.stack[pos][0] == kind:
                _, start, _ = self.stack.pop(pos)
                self.out.entity(kind, start)
                break
        else:
            self.stack.append((kind, self.out.length16, self.i))
        self.i += width

    def _escaped(self) -> None:
        if self.i + 1 < len(self.src):
            self.out.add(self.src[self.i + 1])
            self.i += 2
        else:
            self.out.add("\\")
            self.i += 1

    def _code(self) -> None:
        """```pre``` (with an optional language on its first line) or `code`."""
        src, out = self.src, self.out
        if src.startswith("```", self.i):
            content, j = _read_until(src, self.i + 3, "```", "Pre")
            lang = ""
            first, sep, rest = content.partition("\n")
            if sep and first and " " not in first:
                lang, content = first, rest
            start = out.length16
            out.add(content)
            out.entity("pre", start, **({"language": lang} if lang else {}))
        else:
            content, j = _read_until(src, self.i + 1, "`", "Code")
            start = out.length16
            out.add(content)
            out.entity("code", start)
        self.i = j

    def _link_end(self) -> None:
        """``](url)`` closes the text link opened by ``[``."""
        if not self.src.startswith("(", self.i + 1):
            raise _reserved("]")
        url, j = _read_until(self.src, self.i + 2, ")", "TextUrl")
        _, start, _ = self.stack.pop()
        self.out.entity("text_link", start, url=url)
        self.i = j

    def _plain(self, ch: str) -> None:
        """A character as it is; a line break may end a block quote."""
        if ch == "\n" and self.quote_start is not None and not self.src.startswith(">", self.i + 1):
            self.out.entity("blockquote", self.quote_start)
            self.quote_start = None
        self.out.add(ch)
        self.i += 1


# ------------------------------------------------------------------------ legacy Markdown

_V1_KINDS = {"*": "bold", "_": "italic"}


def parse_markdown(src: str) -> tuple[str, list[JSONDict]]:
    """Parse legacy Markdown (no nesting; `\\` escapes only the markup characters)."""
    out = _Builder()
    i, n = 0, len(src)

    def missing_end(index: int) -> EntityParseError:
        return EntityParseError(
            f"Can't find end of the entity starting at byte offset {_byte_offset(src, index)}"
        )

    while i < n:
        ch = src[i]
        if ch == "\\" and i + 1 < n and src[i + 1] in "_*`[":
            out.add(src[i + 1])
            i += 2
        elif ch in _V1_KINDS:
            end = src.find(ch, i + 1)
            if end == -1:
                raise missing_end(i)
            start = out.length16
            out.add(src[i + 1 : end])
            out.entity(_V1_KINDS[ch], start)
            i = end + 1
        elif ch == "`":
            fence = "```" if src.startswith("```", i) else "`"
            end = src.find(fence, i + len(fence))
            if end == -1:
                raise missing_end(i)
            content = src[i + len(fence) : end]
            start = out.length16
            if fence == "```":
                first, sep, rest = content.partition("\n")
                lang = first if sep and first and " " not in first else ""
                out.add(rest if lang else content)
                out.entity("pre", start, **({"language": lang} if lang else {}))
            else:
                out.add(content)
                out.entity("code", start)
            i = end + len(fence)
        elif ch == "[":
            close = src.find("]", i + 1)
            if close == -1 or not src.startswith("(", close + 1):
                raise missing_end(i)
            url_end = src.find(")", close + 2)
            if url_end == -1:
                raise missing_end(i)
            start = out.length16
            out.add(src[i + 1 : close])
            out.entity("text_link", start, url=src[close + 2 : url_end])
            i = url_end + 1
        else:
            out.add(ch)
            i += 1
    return out.result()


def parse_entities(text: str, parse_mode: str | None) -> tuple[str, list[JSONDict]]:
    """Apply a Bot API parse_mode to text; raise EntityParseError like Telegram would."""
    mode = (parse_mode or "").strip().lower()
    if mode == "":
        return text, []
    if mode == "html":
        return parse_html(text)
    if mode == "markdownv2":
        return parse_markdown_v2(text)
    if mode == "markdown":
        return parse_markdown(text)
    raise EntityParseError(f'Unsupported parse_mode "{parse_mode}"')


def command_entities(text: str) -> list[JSONDict]:
    """Entities Telegram attaches to a message a person typed (a leading /command)."""
    m = re.match(r"/[A-Za-z0-9_]{1,64}(@[A-Za-z0-9_]{3,64})?", text)
    if not m:
        return []
    return [{"type": "bot_command", "offset": 0, "length": utf16_len(m.group(0))}]
