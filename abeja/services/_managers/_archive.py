"""A folder of model code as the platform takes it: a gzip tar, the same bytes every time.

The archive holds the folder's files under their relative paths (``predict.py``,
``utils/io.py``), as abejacli's ``create-deployment-version`` makes it, leaving out every
``.git`` directory and what the folder's ``.abejaignore`` lists. It is reproducible: names
in sorted order, every time stamp, owner and group fixed, modes reduced to 644 or 755, and
a gzip header with no name and no time, level 6 (gzip's own default); so the same folder
gives the same bytes, and the same SHA-256. It is written to a temporary file as it is made
(constant memory, whatever the folder's size), to be uploaded with a Content-Length (a
presigned storage link takes no chunked body) and read again should the upload be resent.
"""

from __future__ import annotations

import fnmatch
import gzip
import hashlib
import os
import stat
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO

IGNORE_FILE = ".abejaignore"
"""The file of a folder listing what its archive leaves out (see `IgnoreRules`)."""

_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class IgnoreRules:
    """What an archive leaves out: ``.git`` directories, and the patterns of the folder's
    ``.abejaignore``.

    One pattern per line; blank lines and lines starting with ``#`` are skipped. A pattern
    is a shell glob (``*``, ``?``, ``[abc]``) matched against each file's and directory's
    path relative to the folder (``data/raw``) and against its name alone (``*.pyc``);
    a pattern with a ``/`` inside or at its start matches the relative path only
    (``/data`` is the top-level ``data`` only); a pattern ending in ``/`` matches
    directories only (``__pycache__/``). A directory left out leaves out all it holds.
    ``!`` (re-including) is not supported, and refused.
    """

    patterns: tuple[str, ...] = ()

    @classmethod
    def of(cls, folder: Path) -> IgnoreRules:
        """The rules of ``folder`` (none when it has no ``.abejaignore``)."""
        path = folder / IGNORE_FILE
        if not path.is_file():
            return cls()
        patterns = []
        for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith("!"):
                raise ValueError(
                    f"{path}:{number}: '!' (re-including) is not supported in {IGNORE_FILE}"
                )
            patterns.append(line)
        return cls(tuple(patterns))

    def ignores(self, relative: PurePosixPath, is_dir: bool) -> bool:
        """Whether ``relative`` (a path inside the folder) is left out."""
        if is_dir and relative.name == ".git":
            return True
        text = relative.as_posix()
        for pattern in self.patterns:
            only_dirs = pattern.endswith("/")
            body = pattern.rstrip("/")
            if only_dirs and not is_dir:
                continue
            if "/" in body:
                if fnmatch.fnmatchcase(text, body.lstrip("/")):
                    return True
            elif fnmatch.fnmatchcase(relative.name, body) or fnmatch.fnmatchcase(text, body):
                return True
        return False


@dataclass(frozen=True)
class Archive:
    """An archive ready to upload: its open file (at the start), size and SHA-256."""

    file: IO[bytes]
    size: int
    sha256: str
    files: int
    """How many files it holds (0 for an archive given as it is)."""

    def close(self) -> None:
        """Close (and so remove) the archive's temporary file."""
        self.file.close()


def _members(folder: Path, rules: IgnoreRules) -> Iterator[tuple[Path, PurePosixPath]]:
    """Every path to archive under ``folder``, in sorted order, directories before what
    they hold; nothing followed out through a symbolic link to a directory."""
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        yield from _walk(Path(entry.path), PurePosixPath(entry.name), rules)


def _walk(
    path: Path, relative: PurePosixPath, rules: IgnoreRules
) -> Iterator[tuple[Path, PurePosixPath]]:
    is_dir = path.is_dir() and not path.is_symlink()
    if rules.ignores(relative, is_dir):
        return
    yield path, relative
    if is_dir:
        for entry in sorted(os.scandir(path), key=lambda e: e.name):
            yield from _walk(Path(entry.path), relative / entry.name, rules)


def _info(path: Path, relative: PurePosixPath) -> tarfile.TarInfo:
    """The member's header, with nothing that changes from one copy of a folder to another."""
    status = path.lstat()
    info = tarfile.TarInfo(relative.as_posix())
    info.mtime = 0
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    executable = bool(status.st_mode & stat.S_IXUSR)
    if stat.S_ISLNK(status.st_mode):
        info.type = tarfile.SYMTYPE
        info.linkname = os.readlink(path)
        info.mode = 0o777
    elif stat.S_ISDIR(status.st_mode):
        info.type = tarfile.DIRTYPE
        info.mode = 0o755
    elif stat.S_ISREG(status.st_mode):
        info.size = status.st_size
        info.mode = 0o755 if executable else 0o644
    else:
        raise ValueError(f"{path} is neither a file, a directory nor a link: it cannot be archived")
    return info


class _Hashing:
    """A file written through, hashed and counted as it goes."""

    def __init__(self, file: IO[bytes]) -> None:
        self._file = file
        self.digest = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        self.size += len(data)
        return self._file.write(data)

    def flush(self) -> None:
        self._file.flush()


def archive_folder(folder: str | os.PathLike[str]) -> Archive:
    """The folder as a reproducible gzip tar, in a temporary file (see the module doc).

    Raises:
        ValueError: ``folder`` is not a directory, holds nothing to archive, holds a
            special file (a socket, a device), or its ``.abejaignore`` is refused.
    """
    root = Path(folder)
    if not root.is_dir():
        raise ValueError(f"{root} is not a folder")
    rules = IgnoreRules.of(root)
    output = tempfile.TemporaryFile(prefix="abeja-version-")  # noqa: SIM115 - Archive closes it
    try:
        hashing = _Hashing(output)
        files = 0
        gz = gzip.GzipFile(filename="", mode="wb", fileobj=hashing, mtime=0, compresslevel=6)
        with gz, tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar:
            for path, relative in _members(root, rules):
                info = _info(path, relative)
                if info.isreg():
                    files += 1
                    with open(path, "rb") as content:
                        tar.addfile(info, content)
                else:
                    tar.addfile(info)
        if files == 0:
            raise ValueError(f"{root} holds no file to archive (after {IGNORE_FILE} and .git)")
        output.flush()
        output.seek(0)
        return Archive(output, hashing.size, hashing.digest.hexdigest(), files)
    except BaseException:
        output.close()
        raise


def open_archive(path: str | os.PathLike[str]) -> Archive:
    """An existing ``.tar.gz`` as it is: opened, measured and hashed (read once, in chunks).

    Raises:
        ValueError: it is not a gzip file.
    """
    file = open(path, "rb")  # noqa: SIM115 - Archive closes it
    try:
        if file.read(2) != b"\x1f\x8b":
            raise ValueError(f"{path} is not a gzip file (a .tar.gz is expected)")
        file.seek(0)
        digest = hashlib.sha256()
        size = 0
        while chunk := file.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
        file.seek(0)
        return Archive(file, size, digest.hexdigest(), 0)
    except BaseException:
        file.close()
        raise


def archive_of(source: str | os.PathLike[str]) -> Archive:
    """A folder archived, or a ``.tar.gz``/``.tgz`` file as it is."""
    path = Path(source)
    if path.is_dir():
        return archive_folder(path)
    if path.is_file():
        return open_archive(path)
    raise ValueError(f"{path} is neither a folder nor a .tar.gz file")
