"""The Git host adapter (GitHub, GitLab, Gitea/Forgejo): commit statuses and the plan comment.

    hostapi   what a host's API looks like, as data (`HostApi`); one module per host holds its
              value: `github`, `gitlab`, `gitea`
    api       the `Forge` protocol, the values it takes and returns, and `ForgeError`
    client    `ForgeClient`: `Forge` over httpx for any `HostApi` (rate limits understood)
    outbox    `Outbox`: the queue a task drains, so that a slow or failing host never holds up
              a pass or a deploy; newest wins per (sha, context) and per pull request
    listener  `ForgeListener`: the pass listener that turns pass events into statuses

The daemon wires them together (`reconciler.shell.daemon.pulls` adds the pull requests).
"""
