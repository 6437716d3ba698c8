"""A packed text column answers as the object array it replaces, and only columns of many distinct
values are packed."""

import numpy as np
import pytest

from addin.domain.packed import Packed, Unpacking, concatenated

VALUES = ["LX000000000001CN", None, "", "订单 7", "a\nb", "x" * 300, None, "\udc80 lone surrogate", "last"]


@pytest.mark.parametrize("index", [0, 1, 2, 3, 5, 7, 8, -1, -9, slice(None), slice(2, 5), slice(4, 4),
                                   slice(7, 100), slice(0, 9, 3), [8, 1, 3, 3], [],
                                   [True, False] * 4 + [True]])
def test_indexing_is_the_object_arrays(index):
    dense = np.array(VALUES, dtype=object)
    got = Packed(VALUES)[index]
    want = dense[np.array(index, dtype=bool if index and isinstance(index[0], bool) else np.int64)] \
        if isinstance(index, list) else dense[index]
    if isinstance(want, np.ndarray):
        assert isinstance(got, np.ndarray) and got.dtype == object and got.tolist() == want.tolist()
    else:
        assert got == want and type(got) is type(want)


def test_the_whole_column_and_its_shape():
    column = Packed(VALUES)
    assert column.tolist() == VALUES and np.asarray(column).tolist() == VALUES
    assert len(column) == 9 and column.shape == (9,) and column.dtype == object
    assert Packed([]).tolist() == [] and Packed([None]).tolist() == [None] and Packed([""]).tolist() == [""]
    with pytest.raises(IndexError):
        column[9]


@pytest.mark.parametrize("values", [["a", 1.5], ["a", "b\x00c"]])
def test_what_cannot_be_packed_is_refused(values):
    with pytest.raises(ValueError):
        Packed(values)


def test_parts_of_a_column_packed_or_not_make_one():
    parts = [Packed(VALUES[:3]), Packed([]), np.array(VALUES[3:5], dtype=object), Packed(VALUES[5:])]
    whole = concatenated(parts)
    assert whole.tolist() == VALUES and whole[2:7].tolist() == VALUES[2:7] and whole[-1] == "last"
    assert whole.buffer == Packed(VALUES).buffer and whole.offsets.tolist() == Packed(VALUES).offsets.tolist()
    assert concatenated([Packed([])]).tolist() == []


def test_the_rules_read_object_arrays_made_once_a_stage():
    columns = Unpacking({"order_id": Packed(VALUES), "price": np.arange(9.0)})
    ids = columns["order_id"]
    assert ids.dtype == object and ids.tolist() == VALUES and columns["order_id"] is ids  # made once
    assert columns["price"] is dict.__getitem__(columns, "price")
    columns.release()
    assert columns["order_id"] is not ids and columns["order_id"].tolist() == VALUES
    assert isinstance(columns.columns()["order_id"], Packed) and type(columns.columns()) is dict
