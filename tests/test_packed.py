"""A packed text column answers as the object array it replaces, and only columns of many distinct
values are packed."""

import numpy as np
import pytest

from addin.domain import packed as packed_module
from addin.domain.packed import Packed, pack_text_columns

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


def test_only_columns_of_many_distinct_strings_are_packed_in_every_mapping_that_holds_them(monkeypatch):
    monkeypatch.setattr(packed_module, "SAMPLE", 100)
    n = 1000
    states = ["SHIPPED", "APPROVED"]
    ids = np.array([f"{i:024x}" for i in range(n)], dtype=object)
    columns = {
        "order_id": ids,
        "order_state": np.array([states[i % 2] for i in range(n)], dtype=object),  # two str objects
        "price": np.arange(n, dtype=float),
        "note": np.array([f"{i}" if i % 2 else 7 for i in range(n)], dtype=object),  # not all text
    }
    table = dict(columns)
    other = {"order_id": ids}
    assert pack_text_columns(columns, table, other) == ["order_id"]
    assert isinstance(columns["order_id"], Packed) and table["order_id"] is columns["order_id"] \
        and other["order_id"] is columns["order_id"]
    assert columns["order_id"].tolist() == ids.tolist()
    assert all(isinstance(columns[name], np.ndarray) for name in ("order_state", "price", "note"))
