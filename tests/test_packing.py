"""Packed columns give back exactly what was packed, in whichever form fits them."""

from __future__ import annotations

import json
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from db.packing import pack, unpack

INT64 = st.integers(min_value=-(2**63), max_value=2**63 - 1)
COLUMNS = st.one_of(
    st.lists(st.one_of(st.none(), INT64)),
    st.lists(st.one_of(st.none(), st.integers(min_value=-3, max_value=3))),  # few distinct: codes or usual
    st.lists(st.one_of(st.none(), st.text())),
    st.lists(st.one_of(st.none(), st.booleans())),
    st.lists(st.one_of(st.none(), st.integers(), st.text(max_size=3), st.floats(allow_nan=False))),  # mixed: JSON
)


def form(packed: bytes) -> str:
    header = json.loads(packed[: packed.index(b"\n")])
    return next(name for name in ("usual", "integers", "codes", "json") if name in header)


@given(COLUMNS)
def test_unpacking_gives_back_what_was_packed(values: list) -> None:
    unpacked = unpack(pack(values))
    assert unpacked == values
    assert [type(value) for value in unpacked] == [type(value) for value in values]  # True stays True, 1 stays 1


@given(st.lists(st.integers(min_value=0, max_value=9), min_size=1), st.integers(min_value=0, max_value=2_000))
def test_a_value_nearly_every_row_holds_keeps_only_the_other_rows(others: list[int], usual_rows: int) -> None:
    values = [None] * usual_rows * 10 + others  # None in at least 90% of rows when others are few
    packed = pack(values)
    assert unpack(packed) == values
    if len(others) * 10 <= len(values) and any(value is not None for value in others):
        assert form(packed) == "usual"


def test_each_column_takes_the_form_that_fits_it() -> None:
    ids = list(range(1, 70_001))
    languages = ["ko", "en", "ja"] * 1_000
    birthdays = [f"19{year:02}-{month:02}-01" for year in range(100) for month in range(1, 13)] + [None]
    big = [2**70 + number for number in ids]  # past 64 bits, too many to give codes
    cases = {"integers": ids, "codes": languages + birthdays, "usual": [0] * 95 + [1] * 5, "json": big}
    for expected, values in cases.items():
        packed = pack(values)
        assert form(packed) == expected
        assert unpack(packed) == values
    assert len(pack(ids)) < len(json.dumps(ids))  # four bytes a number, not six or more
    assert len(pack([0, 1] * 500)) < 1_200  # one byte a row


def test_a_column_packed_elsewhere_is_swapped_or_refused() -> None:
    values = [*range(-70_000, 70_000, 500), None, 2**40]  # too many distinct numbers for codes
    header, body = pack(values).split(b"\n", 1)
    described = json.loads(header)
    other_order = "big" if sys.byteorder == "little" else "little"
    swapped = bytearray()
    for shape in (described["integers"], described["nulls"]):
        _code, size, length = shape
        part, body = body[: size * length], body[size * length :]
        swapped += b"".join(part[i : i + size][::-1] for i in range(0, len(part), size))
    foreign = json.dumps({**described, "order": other_order}).encode() + b"\n" + bytes(swapped)
    assert unpack(foreign) == values
    wider = {**described, "integers": [described["integers"][0], 16, len(values)]}
    assert described["integers"][1] == 8
    with pytest.raises(ValueError, match="16-byte"):
        unpack(json.dumps(wider).encode() + b"\n" + bytes(swapped))
    with pytest.raises(ValueError, match="cut short"):
        unpack(pack(values)[:-1])
    with pytest.raises(ValueError, match="left over"):
        unpack(pack(values) + b"\0")
