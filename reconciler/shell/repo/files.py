"""Read the candidate files of a repository: from a folder, or from a Git revision without checkout.

Both readers hand the pure parser the same thing (`RepoFile`s) and treat symlinks the same way,
lexically, as Git stores them: a link to a file inside the repository reads that file; a link that
leaves the repository, is absolute, dangles, loops or names a folder is refused with a reason.
Files are never read past the size limit, and the total read is bounded too.

A plain file read from a Git tree carries its blob id. Given the files of an earlier read
(`reuse`), `read_revision` hands back the earlier `RepoFile` for every path whose blob id is the
same, without reading its bytes again; symlinks are always followed afresh, since their target
may have changed while the link did not.

I/O module (the file system, the Git object database).
"""

from __future__ import annotations

import os
import posixpath
import stat
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from reconciler.decide.declared import layout
from reconciler.decide.declared.documents import CEILINGS, Limits
from reconciler.decide.declared.parse import RepoFile
from reconciler.errors import ConfigurationError

if TYPE_CHECKING:
    import git

_SYMLINK_MODE = 0o120000
_MAX_HOPS = 8
# what any repository may hold: `reconciler.yaml` may raise its limits (checked when it is
# parsed) up to these ceilings, so the reader stops there whatever the file says
_MAX_TOTAL_BYTES = CEILINGS["max_total_bytes"]
_MAX_FILES = CEILINGS["max_files"]
_TOO_MANY = "not read: the repository holds too many YAML files"


def resolve_link(link: str, target: str) -> str | None:
    """The repository path a symlink at `link` points to, or None when it leaves the repository."""
    if posixpath.isabs(target):
        return None
    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(link), target))
    if resolved == ".." or resolved.startswith("../") or resolved == ".":
        return None
    return resolved


class _Budget:
    """Counts bytes read across one repository, refusing files once the total is spent."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.left = _MAX_TOTAL_BYTES

    def refusal(self, size: int) -> str | None:
        if size > self.limits.max_file_bytes:
            return f"file is larger than the {self.limits.max_file_bytes} byte limit"
        if size > self.left:
            return f"the repository holds more than {_MAX_TOTAL_BYTES} bytes of YAML"
        self.left -= size
        return None


def _is_input(path: str, is_link: bool) -> bool:
    """YAML files are input; so is any symlink inside a known folder, which may hide YAML."""
    if layout.is_candidate(path):
        return True
    hidden = any(part.startswith(".") for part in path.split("/"))
    return is_link and not hidden and layout.kind_for(path) is not None


def read_folder(root: Path, limits: Limits = Limits()) -> list[RepoFile]:
    """Every candidate file below `root`, skipping dot-folders."""
    if not root.is_dir():
        raise ConfigurationError(f"repository folder {root} does not exist")
    budget = _Budget(limits)
    paths = list(_folder_candidates(root))
    if len(paths) > _MAX_FILES:
        return [RepoFile(path, refused=_TOO_MANY) for path in paths]
    return [_read_path(root, path, budget) for path in paths]


def _folder_candidates(root: Path) -> Iterator[str]:
    for folder, dirs, files in os.walk(root):
        relative = Path(folder).relative_to(root).as_posix()
        dirs[:] = sorted(name for name in dirs if not name.startswith("."))
        for name in sorted(files) + [d for d in dirs if (Path(folder) / d).is_symlink()]:
            path = name if relative == "." else f"{relative}/{name}"
            if _is_input(path, (Path(folder) / name).is_symlink()):
                yield path


def _read_path(root: Path, path: str, budget: _Budget) -> RepoFile:
    def lookup(candidate: str) -> tuple[str, int, str | None]:
        full = root / candidate
        try:
            info = full.lstat()
        except FileNotFoundError:
            return "missing", 0, None
        if stat.S_ISLNK(info.st_mode):
            return "link", 0, os.readlink(full)
        if stat.S_ISDIR(info.st_mode):
            return "folder", 0, None
        return "file", info.st_size, None

    def read(candidate: str) -> bytes:
        return (root / candidate).read_bytes()

    return _follow(path, lookup, read, budget)


def read_revision(
    repository: Path,
    revision: str,
    limits: Limits = Limits(),
    reuse: Mapping[str, RepoFile] | None = None,
) -> list[RepoFile]:
    """Every candidate file of the tree at `revision`, read from the object database.

    A path whose blob id matches the `RepoFile` in `reuse` is not read again: that one is kept.
    """
    import git  # noqa: PLC0415  (loaded for revisions only: `validate` reads a folder)

    try:
        tree = git.Repo(repository).commit(revision).tree
    except (git.InvalidGitRepositoryError, git.NoSuchPathError) as error:
        raise ConfigurationError(f"{repository} is not a Git repository") from error
    except (git.BadName, ValueError) as error:
        raise ConfigurationError(f"revision {revision!r} is not in {repository}") from error
    budget = _Budget(limits)
    items = {
        str(item.path): item
        for item in tree.traverse(prune=lambda item, _depth: _hidden(item))
        if isinstance(item, git.Blob) and _is_input(str(item.path), item.mode == _SYMLINK_MODE)
    }
    if len(items) > _MAX_FILES:
        return [RepoFile(path, refused=_TOO_MANY) for path in sorted(items)]
    earlier = reuse or {}
    files = []
    for path, item in sorted(items.items()):
        kept = earlier.get(path)
        if kept is not None and kept.blob is not None and kept.blob == item.hexsha:
            refusal = budget.refusal(item.size)
            files.append(kept if refusal is None else RepoFile(path, refused=refusal))
        else:
            files.append(_read_blob(tree, path, budget, item))
    return files


def _hidden(item: object) -> bool:
    """A file or folder of a Git tree whose name starts with a dot."""
    return getattr(item, "type", None) in ("blob", "tree") and str(
        getattr(item, "name", "")
    ).startswith(".")


def _read_blob(tree: git.Tree, path: str, budget: _Budget, item: git.Blob) -> RepoFile:
    if item.mode != _SYMLINK_MODE:
        # a plain file is read from the item the traversal found: no lookup by path, which
        # would scan every tree on the way for each file and make big repositories quadratic
        refusal = budget.refusal(item.size)
        if refusal is not None:
            return RepoFile(path, refused=refusal)
        data: bytes = item.data_stream.read()
        return RepoFile(path, data, blob=item.hexsha)

    def lookup(candidate: str) -> tuple[str, int, str | None]:
        try:
            found = tree / candidate
        except KeyError:
            return "missing", 0, None
        if found.type == "tree":
            return "folder", 0, None
        if found.mode == _SYMLINK_MODE:
            return "link", 0, found.data_stream.read().decode("utf-8", "replace")
        return "file", found.size, None

    def read(candidate: str) -> bytes:
        data: bytes = (tree / candidate).data_stream.read()
        return data

    return _follow(path, lookup, read, budget)


Lookup = Callable[[str], tuple[str, int, str | None]]


def _follow(path: str, lookup: Lookup, read: Callable[[str], bytes], budget: _Budget) -> RepoFile:
    """Read `path`, following symlinks lexically; the same rules for folders and Git trees."""
    current = path
    for _hop in range(_MAX_HOPS):
        what, size, target = lookup(current)
        if what == "file":
            refusal = budget.refusal(size)
            if refusal is not None:
                return RepoFile(path, refused=refusal)
            return RepoFile(path, read(current))
        if what != "link" or target is None:
            reason = "points to a folder" if what == "folder" else "points to nothing"
            return RepoFile(path, refused=f"symlink {reason}; only links to files are read")
        resolved = resolve_link(current, target)
        if resolved is None:
            return RepoFile(path, refused="symlink leaves the repository; it is not read")
        current = resolved
    return RepoFile(path, refused="symlink chain is too long or loops")
