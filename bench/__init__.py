"""The benchmark harness: `python -m bench` measures every speed target (README: Speed).

Modules: `generate` (repositories and fleets), `world` (a repository, its origin, a fleet, the
commands), `measure` (timers, medians, CPU and RSS, the table), `floor` (floors and peers as child
processes), `watch` (what a push causes), and a
module per group of scenarios: `passes`, `fleetwide`, `deploying`, `idle`.
"""
