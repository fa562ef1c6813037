"""A column of values packed into bytes, for columns read whole and often (``db.summaries``' kept copy).

JSON would do, but decoding 200,000 numbers or strings from JSON takes 20–30 ms a column on this
machine; these forms take what making one Python object per value takes:

- usual: nearly every row holds one value (a flag, no complaint): only the other rows are kept,
  their positions and their values (packed in one of the forms below);
- integers: whole numbers that fit in 64 bits, in the narrowest signed width that holds them all,
  with the positions of the rows holding ``None`` (when they are many, codes are smaller);
- codes: at most 65,536 distinct values of one type (languages, birthdays): the distinct values,
  and one code per row, in one or two bytes;
- JSON, for anything else.

A packed column is a header (one line of JSON) and then the arrays it names, one after another.
The header records the byte order and each array's width: a column packed on a machine with
other widths is refused (``ValueError``), and one with the other byte order is swapped.
"""

from __future__ import annotations

import json
import sys
from array import array
from collections import Counter
from collections.abc import Sequence
from typing import Any

USUAL_SHARE = 0.9  # the share of rows one value must hold for the "usual" form
_MAX_CODES = 65_536
_SIGNED = ("b", "h", "i", "q")  # narrowest first
_INT64 = (-(2**63), 2**63 - 1)


def pack(values: Sequence[Any]) -> bytes:
    """``values`` (ints, strings, booleans or None; JSON for anything else) as bytes."""
    header, arrays = _described(list(values))
    header["order"] = sys.byteorder
    return json.dumps(header).encode("ascii") + b"\n" + b"".join(part.tobytes() for part in arrays)


def unpack(packed: bytes) -> list[Any]:
    """The values ``pack`` was given, as a list."""
    end = packed.index(b"\n")
    header = json.loads(packed[:end])
    reader = _Reader(packed, end + 1, swap=header["order"] != sys.byteorder)
    values = reader.column(header)
    if reader.offset != len(packed):
        raise ValueError("a packed column has bytes left over")
    return values


def _described(values: list[Any]) -> tuple[dict[str, Any], list[array]]:
    """The header of these values and the arrays that follow it."""
    types = {type(value) for value in values if value is not None}
    if len(types) > 1 or not types <= {int, str, bool}:  # floats too: 0.0 == -0.0
        return {"json": values}, []
    counts = Counter(values)
    usual, count = counts.most_common(1)[0] if counts else (None, 0)
    if values and count >= USUAL_SHARE * len(values):
        positions = [row for row, value in enumerate(values) if value != usual]
        others, arrays = _described([values[row] for row in positions])
        where = _narrowest(positions)
        return {"usual": usual, "rows": len(values), "positions": _shape(where), "others": others}, [where, *arrays]
    numbers = counts.keys() - {None}
    few = None in counts and len(counts) <= 256  # codes are then smaller, and as quick to read
    if types == {int} and not few and _INT64[0] <= min(numbers) and max(numbers) <= _INT64[1]:
        nulls = [row for row, value in enumerate(values) if value is None] if None in counts else []
        numbers, where = _narrowest([0 if value is None else value for value in values]), _narrowest(nulls)
        return {"integers": _shape(numbers), "nulls": _shape(where)}, [numbers, where]
    if len(counts) <= _MAX_CODES:
        distinct = list(counts)
        code_of = {value: code for code, value in enumerate(distinct)}
        codes = array("B" if len(distinct) <= 256 else "H", map(code_of.__getitem__, values))
        return {"codes": _shape(codes), "values": distinct}, [codes]
    return {"json": values}, []


def _narrowest(numbers: list[int]) -> array:
    low, high = (min(numbers), max(numbers)) if numbers else (0, 0)
    for code in _SIGNED:
        bits = array(code).itemsize * 8 - 1
        if -(1 << bits) <= low and high < 1 << bits:
            return array(code, numbers)
    raise AssertionError("checked to fit in 64 bits")


def _shape(part: array) -> list[Any]:
    return [part.typecode, part.itemsize, len(part)]


class _Reader:
    """Reads the arrays a header names, in order, from the bytes after it."""

    def __init__(self, packed: bytes, offset: int, *, swap: bool) -> None:
        self.packed, self.offset, self.swap = packed, offset, swap

    def array(self, shape: list[Any]) -> array:
        code, size, length = shape
        part = array(code)
        if part.itemsize != size:
            raise ValueError(f"packed with {size}-byte {code!r} numbers, {part.itemsize} bytes here")
        end = self.offset + size * length
        if end > len(self.packed):
            raise ValueError("a packed column is cut short")
        part.frombytes(self.packed[self.offset : end])
        self.offset = end
        if self.swap:
            part.byteswap()
        return part

    def column(self, header: dict[str, Any]) -> list[Any]:
        if "json" in header:
            return header["json"]
        if "usual" in header:
            values = [header["usual"]] * header["rows"]
            positions = self.array(header["positions"])
            for row, value in zip(positions, self.column(header["others"]), strict=True):
                values[row] = value
            return values
        if "integers" in header:
            values = self.array(header["integers"]).tolist()
            for row in self.array(header["nulls"]):
                values[row] = None
            return values
        return list(map(header["values"].__getitem__, self.array(header["codes"])))
