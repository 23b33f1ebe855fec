"""Markdown for values nobody vetted (SPEC §10): what a Core, Git or a marker file says.

A Core's version, a component name, a file path quoted by a refusal, a run id, an author, a
message: any of these can hold `|`, a newline, `#`, a backtick or `<script>`. Every such value
that reaches a table cell, a heading, a list item or a blockquote line of the report goes
through this module, in one of two forms:

- `text(value)` for plain inline text;
- `code(value)` for a value shown as a code span (a commit, a component, a quoted problem),
  where backslash escapes do not work and only a longer backtick fence keeps a backtick in.

The rules follow GitHub's Markdown (GFM): a table row is split at every `|` that is not preceded
by a backslash, before anything else in the row is read, so a `|` in a cell is written `\\|`
even inside a code span (the table removes that backslash again). Both forms drop control and
formatting characters (a newline in a value can never start a line of its own, a bidi override
cannot reorder what a reader sees), squeeze runs of white space into one space, and cut a value
longer than `LIMIT` characters with an ellipsis, so one runaway message cannot bury a table.
Bare URLs stay plain visible text (GitHub may link them; they can reorder nothing).

Pure module.
"""

from __future__ import annotations

import re
import unicodedata

LIMIT = 200
"""The most characters of one value a page shows; longer values end in `…`."""

ELLIPSIS = "…"
_DROPPED = frozenset({"Cf", "Cs", "Co", "Cn"})
"""Formatting (bidi overrides, zero-width), surrogate, private and unassigned characters."""
_SPACED = frozenset({"Cc", "Zl", "Zp"})
"""Control characters and line or paragraph separators: each reads as a space."""
_PUNCTUATION = frozenset("\\`*_[]|~")
"""Marks that would start emphasis, a code span, a link or strikethrough, or split a cell."""
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_BLOCK_START = re.compile(r"^(?:[#+=-]|\d{1,9}[.)])")
_PRINTABLE = re.compile(r"[ -~]*")
"""Printable ASCII: what `clean` keeps as it is (given single spaces and the length)."""
_PLAIN = re.compile(r"[ -%'-)+-;=?-Z^a-{}]*")
"""Printable ASCII without `_PUNCTUATION` and `_ENTITIES`: what `text` keeps as it is."""
"""What would open a heading, a list or a setext underline if the value began a line."""


def text(value: str, limit: int = LIMIT) -> str:
    """`value` as inline text that stays in its cell, heading or line, and shows as written."""
    if _PLAIN.fullmatch(value) and _tidy(value, limit) and not _BLOCK_START.match(value):
        return value  # the common case, a name: nothing to drop, squeeze, cut or escape
    return _escaped_text(value, limit)


def _escaped_text(value: str, limit: int) -> str:
    """`text` the long way, for any value."""
    plain = clean(value, limit)
    escaped = "".join(_escaped(char) for char in plain)
    start = _BLOCK_START.match(plain)
    if start is not None:
        # nothing `_BLOCK_START` matches is escaped by `_escaped`: positions still agree
        mark = start.end() - 1
        escaped = escaped[:mark] + "\\" + escaped[mark:]
    return escaped


def code(value: str, *, cell: bool = False, limit: int = LIMIT) -> str:
    """`value` as a whole code span (fences included); `cell` when it sits in a table row.

    The fence is one backtick longer than the longest run inside, padded with a space when the
    value starts or ends with a backtick; an empty value reads as `—`.
    """
    plain = clean(value, limit)
    if not plain:
        return "—"
    runs = [len(run) for run in re.findall(r"`+", plain)]
    fence = "`" * (max(runs, default=0) + 1)
    pad = " " if plain.startswith("`") or plain.endswith("`") else ""
    inner = plain.replace("|", "\\|") if cell else plain
    return f"{fence}{pad}{inner}{pad}{fence}"


def clean(value: str, limit: int = LIMIT) -> str:
    """`value` on one line: no control or formatting characters, single spaces, at most
    `limit` characters (the last one an ellipsis when it was cut)."""
    if _PRINTABLE.fullmatch(value) and _tidy(value, limit):
        return value
    return _cleaned(value, limit)


def _cleaned(value: str, limit: int) -> str:
    """`clean` the long way, for any value."""
    kept = "".join(_kept(char) for char in value)
    squeezed = " ".join(kept.split())
    if len(squeezed) <= limit:
        return squeezed
    return squeezed[: limit - 1].rstrip() + ELLIPSIS


def _tidy(value: str, limit: int) -> bool:
    """Single spaces only, none at either end, and no longer than `limit`."""
    return len(value) <= limit and "  " not in value and value[:1] != " " and value[-1:] != " "


def _kept(char: str) -> str:
    category = unicodedata.category(char)
    if category in _SPACED:
        return " "
    return "" if category in _DROPPED else char


def _escaped(char: str) -> str:
    if char in _PUNCTUATION:
        return "\\" + char
    return _ENTITIES.get(char, char)
