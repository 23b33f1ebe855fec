"""The daemon (SPEC §7): passes on every trigger, readbacks on a schedule, HTTP endpoints.

- `triggers`: the reasons to fetch (ref watcher, interval, webhook) coalesced into one wake.
- `webhook`: `POST /webhook`, a signed "fetch now".
- `endpoints`: `/healthz`, `/readyz`, `/metrics`, `/api/status` and the webhook route.
- `pages/`: the read-only live pages and their pass listener; `access`: who may read the
  routes (credentials, loopback hosts) and the headers every answer carries.
- `service`: the event loop's tasks, signals and backoff around the orchestrator.
"""
