"""Credentials written into a SOURCE URL, kept out of every file and every command line.

A SOURCE such as `https://bot:TOKEN@git.example.net/p.git` is split into a `Remote`: the URL git
may store and show (`https://git.example.net/p.git`, the one written into the clone's config and
the only one on any command line, git's remote helper's included) and the credentials, which git
hears only for the one network call that needs them:

- they are put into that git child process's environment (`RECONCILER_GIT_USERNAME`,
  `RECONCILER_GIT_PASSWORD`), never into the daemon's own environment or a file;
- a `credential.helper` given with `-c` (a shell function, the same text for every SOURCE, with
  no secret in it) prints them from there when git asks, and only for the scheme, host and port
  of SOURCE, so a redirect to another host never receives them;
- the helpers configured elsewhere are reset for that call (`credential.helper=` first), so no
  `store` or `cache` helper ever saves them.

Which URLs: any user information (`user:password@`, or a lone token `TOKEN@`) in an `http`,
`https`, `ftp` or `ftps` URL counts as credentials, as it does for `redact`; a lone token goes
with an empty password. To use a credential helper of your own, leave the credentials out of the
URL. For other schemes (`ssh://git@host/…`) the user name is not a secret and stays, and a
password is dropped: ssh does not take passwords from URLs (use a key).

Pure module: values in, values out; `GitSource` runs the git commands.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import unquote

HELPER_SCHEMES = frozenset({"http", "https", "ftp", "ftps"})
"""The schemes whose credentials git asks credential helpers for (curl's transports)."""
ORIGIN_VARIABLE = "RECONCILER_GIT_ORIGIN"
USERNAME_VARIABLE = "RECONCILER_GIT_USERNAME"
PASSWORD_VARIABLE = "RECONCILER_GIT_PASSWORD"  # noqa: S105 (a variable's name, not a password)
HELPER = (
    "!f() { "
    'while IFS= read -r line; do case "$line" in '
    'protocol=*) protocol="${line#protocol=}" ;; host=*) host="${line#host=}" ;; '
    "esac; done; "
    'test "$1" = get || return 0; '
    f'test "$protocol://$host" = "${ORIGIN_VARIABLE}" || return 0; '
    f'printf \'username=%s\\npassword=%s\\n\' "${USERNAME_VARIABLE}" "${PASSWORD_VARIABLE}"; '
    "}; f"
)
"""The credential helper: reads git's request, answers `get` for SOURCE's origin only.

`read`, `test` and `printf` are shell built-ins, so the values never reach a command line."""
_USERINFO = re.compile(r"^(?P<scheme>[a-z][a-z0-9+.-]*)://(?P<userinfo>[^/@]*)@(?P<rest>.*)$", re.I)


@dataclass(frozen=True, slots=True)
class Remote:
    """A SOURCE as git sees it: the URL it may store, and credentials for one call at a time."""

    url: str
    """SOURCE without its credentials; what the clone's config holds."""
    username: str = field(default="", repr=False)
    password: str = field(default="", repr=False)
    origin: str = ""
    """`scheme://host[:port]` of SOURCE, the only place the credentials are offered to."""

    @property
    def has_credentials(self) -> bool:
        return bool(self.origin)

    def options(self) -> list[str]:
        """git's `-c` options for a network call (none when SOURCE has no credentials)."""
        if not self.has_credentials:
            return []
        return ["-c", "credential.helper=", "-c", f"credential.helper={HELPER}"]

    def environment(self) -> dict[str, str]:
        """The variables the helper reads, for that git child process's environment only."""
        if not self.has_credentials:
            return {}
        return {
            ORIGIN_VARIABLE: self.origin,
            USERNAME_VARIABLE: self.username,
            PASSWORD_VARIABLE: self.password,
        }


def remote_of(source: str) -> Remote:
    """Split `source` into the URL git may keep and the credentials it may only hear."""
    match = _USERINFO.match(source)
    if match is None:
        return Remote(source)
    scheme, userinfo, rest = match.group("scheme", "userinfo", "rest")
    user, has_password, password = userinfo.partition(":")
    if scheme.lower() not in HELPER_SCHEMES:
        kept = f"{user}@" if user else ""
        return Remote(f"{scheme}://{kept}{rest}" if has_password else source)
    host = rest.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    return Remote(
        f"{scheme}://{rest}",
        username=unquote(user),
        password=unquote(password),
        origin=f"{scheme.lower()}://{host}",
    )
