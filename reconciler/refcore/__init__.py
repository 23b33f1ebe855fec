"""The reference Core: a real engine speaking the Core protocol, to develop and test against.

It stands in for a third-party PADAS Core, so it shares no code with the reconciler (an
import-linter contract forbids imports of `reconciler.decide`, `.shell` and `.cli`). Layout:

- pure: `pdl` (parser), `pdlrun` (evaluator), `specs` (bodies, validation, defaults), `errors`;
- runtime: `streams` (bounded pub/sub buffers), `runtime` (lifecycle), `connectors/`, `tasks`;
- state: `registry` (atomic JSON persistence), `engine` (the protocol's operations);
- HTTP: `auth` (tokens, lockout), `faults` and `admin` (fault injection), `requests`, `app`;
- process: `serve` (settings, uvicorn).

The protocol is documented in `docs/core-protocol.openapi.yaml`, the behaviour in
`docs/reference-core.md`.
"""
