"""The Git host in the daemon: the client, its outbox, the status listener and the PR watcher.

`GitHost.build` makes them from the operator's `--forge*` settings (nothing in the repository
can name or change the host); the daemon adds the listeners, runs `run()` as tasks of its task
group and shows `state()` in `/readyz`. Statuses link to a run's page under `--public-url`, else
to its record in the repository on the host's web interface. I/O module (through its parts).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from reconciler.decide.outcomes import Run
from reconciler.decide.runview import page_path, record_name
from reconciler.shell.config import Config, ForgeSettings
from reconciler.shell.daemon.pulls import PullWatcher
from reconciler.shell.forge import gitea, github, gitlab
from reconciler.shell.forge.client import ForgeClient
from reconciler.shell.forge.hostapi import HostApi
from reconciler.shell.forge.listener import ForgeListener
from reconciler.shell.forge.outbox import Outbox
from reconciler.shell.listeners import ForgeAnswered, ForgeRetried, Listeners
from reconciler.shell.reconcile import Reconciler
from reconciler.shell.repo.source import GitSource

HOSTS: dict[str, HostApi] = {api.name: api for api in (github.API, gitlab.API, gitea.API)}


@dataclass
class GitHost:
    client: ForgeClient
    outbox: Outbox
    listener: ForgeListener
    watcher: PullWatcher

    @classmethod
    def build(cls, config: Config, reconciler: Reconciler, listeners: Listeners) -> GitHost:
        settings = config.forge
        assert settings is not None
        api = HOSTS[settings.host]
        client = ForgeClient(
            api,
            settings.url or api.default_url,
            settings.repo,
            settings.token,
            lambda outcome: listeners.heard(ForgeAnswered(outcome)),
        )
        outbox = Outbox(client, api.name, lambda: listeners.heard(ForgeRetried()))
        report_dir = _report_dir(reconciler)
        link = _linker(api, settings, reconciler, report_dir)
        listener = ForgeListener(outbox, api.description_limit, link)
        source = GitSource(reconciler.source.source, reconciler.source.path, config.branch)
        watcher = PullWatcher(client, outbox, api, source, config.tokens, report_dir=report_dir)
        listeners.add(listener)
        listeners.add(watcher)
        return cls(client, outbox, listener, watcher)

    async def run(self, stopping: asyncio.Event) -> None:
        try:
            async with asyncio.TaskGroup() as tasks:
                tasks.create_task(self.outbox.run(stopping))
                tasks.create_task(self.watcher.run(stopping))
        finally:
            await self.client.close()

    def state(self) -> dict[str, Any]:
        return self.outbox.state()


def _report_dir(reconciler: Reconciler) -> Callable[[], str]:
    def found() -> str:
        judged = reconciler.judged
        return judged.state.settings.report_dir if judged is not None else "status"

    return found


def _linker(
    api: HostApi, settings: ForgeSettings, reconciler: Reconciler, report_dir: Callable[[], str]
) -> Callable[[Run], str | None]:
    def link(run: Run) -> str | None:
        if settings.public_url:
            return f"{settings.public_url}/requests/{record_name(run.id)}"
        web = api.web_base(settings.url or api.default_url)
        return api.web_file.format(
            web=web,
            repo=settings.repo,
            branch=reconciler.source.branch,
            path=f"{report_dir()}/{page_path(run)}",
        )

    return link
