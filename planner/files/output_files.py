"""Every file delight writes is opened here: ``open_output_file``.

A path given for output (``-o``, ``--pdf``, ``--skip-bad``, the demo's files) can be a mistake
that destroys something: the live database, the very file being imported, a spreadsheet that
happens to share the name. So before anything is written:

- the database a command has open (and its ``-wal``/``-shm``/``-journal`` files) and the files
  it reads (``protect``) are never written over;
- an existing file is replaced only by a file of the same kind (last week's PDF by this week's;
  an empty file by anything), never a database, a workbook or a text file by a PDF, say;
- the new file is written next to the old one and moved into place only when complete, so a
  full disk or an error halfway leaves the old file whole. Terminals, pipes and other
  character devices (``-o /dev/stdout``) are written directly.

Every problem, before or while writing, is one ``OutputFileError`` line naming the path.
"""

from __future__ import annotations

import io
import os
import stat
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO

from planner.core.errors import OutputFileError

# What each kind of file starts with; ``None`` means text (no NUL bytes).
_SIGNATURES: dict[str, bytes | None] = {"pdf": b"%PDF-", "xlsx": b"PK\x03\x04", "csv": None, "text": None}
_NAMES = {"pdf": "PDF", "xlsx": "Excel workbook", "csv": "CSV file", "text": "text file"}
_BINARY = (b"SQLite format 3\x00", b"%PDF-", b"PK\x03\x04", b"\x7fELF")
_TEXT_BOMS = (b"\xff\xfe", b"\xfe\xff")  # UTF-16 text, as Excel's "Unicode Text" writes it
_SNIFF = 8192
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")


def database_files(database: Path | None) -> tuple[Path, ...]:
    """A SQLite database file and the companion files SQLite keeps beside it (nothing for a server)."""
    if database is None:
        return ()
    return (database, *(database.with_name(database.name + suffix) for suffix in SQLITE_COMPANIONS))


def check_output_file(path: Path, kind: str, *, database: Path | None = None, reading: Iterable[Path] = ()) -> None:
    """Refuse, with one line, to write a ``kind`` file (pdf, csv, xlsx, text) at ``path``; see the module."""
    try:
        resolved = path.resolve()
        status = path.stat() if path.exists() else None
    except OSError as exc:
        raise OutputFileError(f"cannot write {_shown(path)}: {exc.strerror or exc}") from None
    kept = [(file, "the database delight has open") for file in database_files(database)]
    kept += [(Path(file), "the file being read") for file in reading]
    for file, what in kept:
        if _same_file(path, resolved, file):
            raise OutputFileError(f"refusing to write {_shown(path)}: it is {what}; choose another file name")
    if status is None:
        if not resolved.parent.is_dir():
            raise OutputFileError(f"cannot write {_shown(path)}: folder {_shown(resolved.parent)} does not exist")
        return
    if stat.S_ISDIR(status.st_mode):
        raise OutputFileError(f"cannot write {_shown(path)}: it is a folder; give a file name")
    if stat.S_ISCHR(status.st_mode) or stat.S_ISFIFO(status.st_mode):
        return  # a terminal, a pipe, /dev/stdout: written directly
    if not stat.S_ISREG(status.st_mode):
        raise OutputFileError(f"refusing to write {_shown(path)}: it is not a regular file")
    if status.st_size and not _looks_like(path, kind):
        raise OutputFileError(
            f"refusing to overwrite {_shown(path)}: it is not a {_NAMES[kind]} "
            f"(delight only replaces a {_NAMES[kind]} with a new one); choose another file name"
        )


@contextmanager
def open_output_file(
    path: Path,
    kind: str,
    *,
    database: Path | None = None,
    reading: Iterable[Path] = (),
    encoding: str | None = None,
) -> Iterator[IO]:
    """Open ``path`` to write a ``kind`` file (pdf, csv, xlsx, text): binary, or text in ``encoding``.

    Checks the path first (``check_output_file``): ``database`` is the SQLite file the command
    has open (``db.engine.database_path``), ``reading`` the files it reads. The file appears,
    whole, only when the ``with`` block ends without an error; a failing write is an
    ``OutputFileError``.
    """
    check_output_file(path, kind, database=database, reading=reading)
    final = path.resolve()  # through a symbolic link, to the file it names
    try:
        if final.exists() and not final.is_file():
            target: IO[bytes] = final.open("wb", buffering=0)
            temporary = None
        else:
            descriptor, name = tempfile.mkstemp(dir=final.parent, prefix=f".{final.name}.", suffix=".part")
            temporary = Path(name)
            os.chmod(descriptor, _mode_for(final))
            target = os.fdopen(descriptor, "wb", buffering=0)
    except OSError as exc:
        raise OutputFileError(f"cannot write {_shown(path)}: {exc.strerror or exc}") from None
    stream: IO = io.BufferedWriter(_Reporting(target, path))
    if encoding is not None:
        stream = io.TextIOWrapper(stream, encoding=encoding, newline="")
    try:
        yield stream
        stream.close()
        if temporary is not None:
            try:
                os.replace(temporary, final)
            except OSError as exc:
                raise OutputFileError(f"cannot write {_shown(path)}: {exc.strerror or exc}") from None
            temporary = None
    finally:
        if not stream.closed:
            with suppress(OutputFileError):  # already failing: the first error is the one to report
                stream.close()
        target.close()
        if temporary is not None:
            temporary.unlink(missing_ok=True)


def write_output_file(path: Path, kind: str, data: bytes, *, database: Path | None = None) -> None:
    """Write finished bytes (a rendered PDF, a whole text) to ``path`` through ``open_output_file``."""
    with open_output_file(path, kind, database=database) as output:
        output.write(data)


class _Reporting(io.RawIOBase):
    """A file that turns a failing write (a full disk, a closed pipe) into one line naming the path."""

    def __init__(self, target: IO[bytes], path: Path) -> None:
        self._target = target
        self._path = path

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        try:
            written = self._target.write(data)
        except OSError as exc:
            raise OutputFileError(f"cannot write {_shown(self._path)}: {exc.strerror or exc}") from None
        return len(data) if written is None else written


def _same_file(path: Path, resolved: Path, kept: Path) -> bool:
    try:
        if resolved == kept.resolve():
            return True
        return path.exists() and kept.exists() and path.samefile(kept)
    except OSError:
        return False


def _looks_like(path: Path, kind: str) -> bool:
    try:
        with path.open("rb") as existing:
            start = existing.read(_SNIFF)
    except OSError:
        return False
    signature = _SIGNATURES[kind]
    if signature is not None:
        return start.startswith(signature)
    if start.startswith(_TEXT_BOMS):
        return True
    return b"\x00" not in start and not start.startswith(_BINARY)


def _mode_for(path: Path) -> int:
    """The permissions the file would get if opened the ordinary way (or those it has)."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        mask = os.umask(0)
        os.umask(mask)
        return 0o666 & ~mask


def _shown(path: Path) -> str:
    text = str(path)
    return text if len(text) <= 120 else f"{text[:60]}…{text[-40:]}"
