"""The repository: reading the declared state from Git or a folder, and writing the report back.

- `files`: the candidate files of a folder or of a Git revision, symlinks and sizes bounded.
- `credentials`: a SOURCE URL's credentials, kept out of files and command lines (pure).
- `source`: `GitSource`, the daemon's own bare clone of SOURCE: fetch, history, commit, push.
- `states`: `StateReader`, the declared state at a revision, read incrementally.
- `reportwriter`: the report committed and pushed only when its content changed.

A boundary of the shell: it imports neither the Core client nor the ledger packages.
"""
