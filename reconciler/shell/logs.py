"""Log output for long-running commands: one line per event, for people or for machines.

`text` (the default) writes `time level message`; on a terminal the time is short and the logger
name is left out, elsewhere (a file, a container log) the time is full UTC and the logger is
named. `json` writes one JSON object per line: `time`, `level`, `logger`, `message`, and
`exception` when there is one. A traceback never spans lines: its line breaks become ` | `.

No message in this package carries a token (tokens are `Secret` values that print redacted);
the libraries that would log every request or every scheduler tick are turned down to warnings.

I/O module (the standard error stream).
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import TextIO

FORMATS = ("text", "json")
# chatty at INFO: a line per HTTP request, per scheduler job run, per file change
_QUIET = ("httpx", "httpcore", "apscheduler", "watchfiles", "uvicorn", "uvicorn.error", "git")


class TextFormatter(logging.Formatter):
    """`time level message`, on one line."""

    def __init__(self, terminal: bool) -> None:
        super().__init__()
        self.terminal = terminal

    def format(self, record: logging.LogRecord) -> str:
        at = datetime.fromtimestamp(record.created, UTC)
        message = record.getMessage()
        if record.exc_info:
            message += " | " + self.formatException(record.exc_info)
        if self.terminal:
            line = f"{at.astimezone():%H:%M:%S} {record.levelname.lower():<7} {message}"
        else:
            stamp = at.isoformat(timespec="milliseconds").replace("+00:00", "Z")
            line = f"{stamp} {record.levelname.lower()} {record.name}: {message}"
        return line.replace("\r", "").replace("\n", " | ")


class JsonFormatter(logging.Formatter):
    """One JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        at = datetime.fromtimestamp(record.created, UTC)
        line = {
            "time": at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def configure(log_format: str, stream: TextIO | None = None) -> None:
    """Send every log record of the process to `stream` (standard error) in `log_format`."""
    out = stream or sys.stderr
    handler = logging.StreamHandler(out)
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(TextFormatter(terminal=out.isatty()))
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(logging.INFO)
    for name in _QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
