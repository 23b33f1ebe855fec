"""Reading what a reference Core saw, and steering its faults, from tests.

Requests are counted from the Core's own access log (one uvicorn line per request), so "nothing
was sent" or "sent once" is checked where it happens, on the server.
"""

from __future__ import annotations

import uuid
from typing import Any

from tests.support.cores import CoreProcess, wait_until


def set_faults(process: CoreProcess, *rules: dict[str, Any]) -> None:
    with process.admin_client() as admin:
        admin.put("faults", json={"rules": list(rules)}).raise_for_status()


class AccessLog:
    """The requests a Core logged from the moment this was made."""

    def __init__(self, process: CoreProcess) -> None:
        self.process = process
        self.offset = len(process.log_text())

    def lines(self) -> list[str]:
        """Access lines so far, once every request sent before this call has been logged."""
        marker = f"/api/v1/health?mark={uuid.uuid4().hex}"
        with self.process.client() as client:
            client.get(marker.removeprefix("/api/v1/"))

        def logged() -> str | None:
            text = self.process.log_text()[self.offset :]
            return text if marker in text else None

        text = wait_until(logged, what=f"core {self.process.name} to log {marker}")
        requests = [line for line in text.splitlines() if "uvicorn.access" in line]
        return [line for line in requests if "?mark=" not in line]

    def count(self, method: str, path: str, status: int | None = None) -> int:
        """Requests logged for `method path` (path under /api/v1), with `status` when given."""
        request = f'"{method} /api/v1/{path} HTTP/1.1"'
        ending = f"{request} {status}" if status is not None else request
        return sum(1 for line in self.lines() if ending in line)
