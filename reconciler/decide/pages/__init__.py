"""What the daemon's live pages show, as values: one view model per page (SPEC §11).

The pages mirror Management → Pipelines row for row, and add what the console never had: the
drift of every component field by field, the plan for the head, and the request history. Each
module here turns the report's inputs (`decide.report.ReportInputs`, the rows, Cores, runs and
records of one pass) into frozen values holding display-ready strings, so the templates in
`reconciler.shell.daemon.pages` only lay them out (and escape them, always):

- `common`: slugs, links, how times and ages read, and how old the data is (`Freshness`).
- `table`: `/`, the table with its summary counts, filters and sorting, as carried in the URL.
- `pipeline`: `/pipelines/NAME`, its cells, drifted components, and the Core Action hints.
- `cores`: `/cores` and `/cores/NAME`.
- `requests`: `/requests` and `/requests/ID`.
- `plan`: `/plan`, what a Deploy All at the head would do, with its digest.

Pure modules: `now` is passed in, nothing is read or written.
"""
