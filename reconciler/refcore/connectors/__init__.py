"""Connectors: pick the worker class for a connector spec.

I/O package; each module says what its class does on the wire.
"""

from __future__ import annotations

from collections.abc import Callable

from reconciler.refcore.connectors.base import Context
from reconciler.refcore.connectors.file import FileSink, FileSource
from reconciler.refcore.connectors.http import HttpSink, HttpSource
from reconciler.refcore.connectors.padas import PadasSink, PadasSource
from reconciler.refcore.connectors.syslog import SyslogSink, SyslogSource
from reconciler.refcore.connectors.unsupported import Unsupported
from reconciler.refcore.runtime import Worker

_WORKERS: dict[tuple[str, str], Callable[[Context], Worker]] = {
    ("file", "source"): FileSource,
    ("file", "sink"): FileSink,
    ("http", "source"): HttpSource,
    ("http", "sink"): HttpSink,
    ("padas", "source"): PadasSource,
    ("padas", "sink"): PadasSink,
    ("syslog", "source"): SyslogSource,
    ("syslog", "sink"): SyslogSink,
}


def build(class_: str, type_: str, context: Context) -> Worker:
    """The worker that runs one connector."""
    make = _WORKERS.get((class_, type_))
    return Unsupported(class_) if make is None else make(context)


__all__ = ["Context", "build"]
