"""The daemon's read-only live pages: Management → Pipelines in a browser (SPEC §11).

- `feed`: the pass listener that keeps the latest snapshot, and the bounded live streams.
- `stream`: `GET /events`, server-sent events, one stream per browser tab.
- `routes`: the pages, rendered from `reconciler.decide.pages` with the templates in
  `templates/`; `static/` holds the one style sheet and the one script they use.

Access (credentials, the Content-Security-Policy, loopback hosts) is `daemon.access`, around
the whole app.
"""
