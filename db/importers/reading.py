"""Open a tabular text file: check it is text, detect its encoding and delimiter, stream its rows.

Korean shops' files come from Excel as CP949 (a superset of EUC-KR) or as UTF-8,
with or without a byte-order mark. The first megabyte decides; a file that turns
out to be neither later on gets a clear error naming the line.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from planner.errors import InputError

ENCODINGS = ("auto", "utf-8", "cp949")
SAMPLE_BYTES = 1 << 20
DELIMITERS = ",;\t|"
# Excel cells hold at most 32,767 characters; anything longer is not a spreadsheet row.
csv.field_size_limit(1 << 20)


@dataclass(frozen=True)
class SourceFile:
    """A readable tabular file: its header, encoding and dialect."""

    path: Path
    encoding: str
    delimiter: str
    header: list[str]


class _CountingReader(io.RawIOBase):
    """A raw file that reports how many bytes were read, for a progress bar by size."""

    def __init__(self, raw: io.BufferedReader, progress: Callable[[int], None] | None) -> None:
        self._raw = raw
        self._progress = progress

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        count = self._raw.readinto(buffer)
        if count and self._progress is not None:
            self._progress(count)
        return count or 0

    def close(self) -> None:
        self._raw.close()
        super().close()


def inspect_file(path: Path, encoding: str = "auto") -> SourceFile:
    """Check ``path`` is a non-empty text table and return how to read it; one clear error if not."""
    if encoding not in ENCODINGS:
        raise InputError(f'unknown encoding "{encoding}": use one of {", ".join(ENCODINGS)}')
    try:
        with path.open("rb") as handle:
            sample = handle.read(SAMPLE_BYTES)
            complete = not handle.read(1)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a folder, not a file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read it ({exc.strerror})") from None
    if not sample.strip(b" \t\r\n\xef\xbb\xbf"):
        raise InputError(f"{path.name}: the file is empty (expected a header line and rows)")
    if b"\x00" in sample[:8192] or sample[:4] in (b"PK\x03\x04", b"%PDF", b"\xd0\xcf\x11\xe0"):
        hint = " (an Excel workbook? save it as CSV first)" if sample[:2] in (b"PK", b"\xd0\xcf") else ""
        raise InputError(f"{path.name}: not a text file{hint}")
    chosen = _detect_encoding(path, sample, complete) if encoding == "auto" else _python_codec(encoding)
    text = _decode_sample(path, sample, chosen, complete)
    first_line = text.lstrip("\ufeff").split("\n", 1)[0].rstrip("\r")
    delimiter = _detect_delimiter(first_line)
    header = next(csv.reader([first_line], delimiter=delimiter))
    header = [column.strip() for column in header]
    if not any(header):
        raise InputError(f"{path.name}: the first line is empty (expected column names)")
    return SourceFile(path, chosen, delimiter, header)


def _python_codec(encoding: str) -> str:
    return "utf-8-sig" if encoding == "utf-8" else encoding


def _detect_encoding(path: Path, sample: bytes, complete: bool) -> str:
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    for candidate in ("utf-8-sig", "cp949"):
        try:
            codecs.getincrementaldecoder(candidate)().decode(sample, final=complete)
        except UnicodeDecodeError:
            continue
        return candidate
    raise InputError(f"{path.name}: neither UTF-8 nor CP949 text: save it as CSV UTF-8, or pass --encoding")


def _decode_sample(path: Path, sample: bytes, codec: str, complete: bool) -> str:
    try:
        return codecs.getincrementaldecoder(codec)().decode(sample, final=complete)
    except UnicodeDecodeError as exc:
        line = sample[: exc.start].count(b"\n") + 1
        name = "UTF-8" if codec.startswith("utf-8") else codec.upper()
        raise InputError(f"{path.name}: line {line} is not {name} text: try --encoding auto") from None


def _detect_delimiter(header_line: str) -> str:
    counts = {delimiter: header_line.count(delimiter) for delimiter in DELIMITERS}
    best = max(counts, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ","


def read_rows(source: SourceFile, progress: Callable[[int], None] | None = None) -> Iterator[tuple[int, list[str]]]:
    """Yield ``(line number, cells)`` for each non-blank record after the header.

    The line number is where the record starts in the file (the header is line 1),
    so a quoted cell spanning lines still points at its row. ``progress`` is called
    with the number of bytes read since its last call.
    """
    raw = _CountingReader(source.path.open("rb", buffering=0), progress)  # type: ignore[arg-type]
    text = io.TextIOWrapper(io.BufferedReader(raw, 1 << 16), encoding=source.encoding, newline="")
    with text:
        reader = csv.reader(text, delimiter=source.delimiter)
        previous_end = 0
        header_seen = False
        try:
            for cells in reader:
                start, previous_end = previous_end + 1, reader.line_num
                if not header_seen:
                    header_seen = True
                    continue
                if not cells or (len(cells) == 1 and not cells[0].strip()):
                    continue
                yield start, cells
        except UnicodeDecodeError:
            name = "UTF-8" if source.encoding.startswith("utf-8") else source.encoding.upper()
            raise InputError(
                f"{source.path.name}: line {previous_end + 1} is not {name} text: pass --encoding to say what it is"
            ) from None
        except csv.Error as exc:
            raise InputError(f"{source.path.name}: line {previous_end + 1}: not valid CSV ({exc})") from None
