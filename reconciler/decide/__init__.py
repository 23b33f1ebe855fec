"""The deciding core: purely computational. Values in, values out; no network, disk, clock,
randomness or logging (`now` is passed in), held by an import-linter contract.

In the order a pass uses them:

- `declared/`: the repository's files to one `DeclaredState`, or every problem (SPEC §2);
  `model` holds the kinds as frozen values.
- `markers`, `signatures`, `requests`: Deploy All and Core Action requests read out of commits,
  checked against allowed signers, turned into runs to record (SPEC §4, §5).
- `components`, `resolve`: which Cores each pipeline belongs on and the component specs it
  needs there ("desired").
- `observed`, `records`: what a readback saw and what this reconciler did ("observed",
  "deployed"); `fingerprint` and `diff` compare them.
- `plan`, `planview`: the per-Core operations of a Deploy All and how they read.
- `actionplan`: the rules of a Core Action on one Core: refusal, order, what stop leaves alone.
- `outcomes`, `runcodec`: how runs end, with stable reason codes, and their stored form.
- `trust`: what a Core file may name for its token, and which Cores may be contacted.
- `settle`: a Core's reachability as the report shows it, once a flip has held.
- `rows`, `unmanaged`: the Management → Pipelines rows, tags and cells (SPEC §3).
- `report`, `runview`: the status report files and run records (SPEC §7).
- `pages/`: the view models of the daemon's live pages (SPEC §11).
"""
