"""The ledger: what this reconciler did (SPEC §7), and the lease that makes it the only writer.

- `sqlite`: the embedded ledger, one SQLite file in the state directory.
- `lease`: one reconciler per state directory, held by a lock on a file.

A boundary of the shell: it imports neither the Core client nor the repository packages.
"""
