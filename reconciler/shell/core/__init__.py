"""The Core client: everything the reconciler says to a Core (SPEC §6), in the order a call takes.

- `api`: the protocol as data (paths, field names, states, status → reason); answers to values.
- `tokens`: a Core's bearer token from the environment mapping or a token file, kept secret.
- `policy`: timeouts, retries with jitter, and holding off after a 401 or 429.
- `connection`: one request on the wire: the token, the retries, the size cap, failures named.
- `client`: `CoreClient`, one Core: `readback`, `get`, `put`, `delete`, `act`.
- `pool`: `CorePool`, one client per Core, and reading back many Cores at once.

A boundary of the shell: it imports neither the repository nor the ledger packages.
"""
