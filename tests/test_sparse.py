"""A sparse column answers every indexing the batch's readers use as its dense array would."""

import numpy as np
import pytest

from addin.domain.sparse import Sparse

NAT = np.datetime64("NaT", "us")


def _pair(dense, fill):
    keep = np.array([not (v == fill or (v != v)) for v in dense.tolist()]) if dense.dtype.kind != "M" \
        else ~np.isnat(dense)
    return dense, Sparse.where(dense, keep, fill)


CASES = [
    (np.array([np.nan, 2.5, np.nan, np.nan, 7.0, np.nan]), np.nan),
    (np.array([-1, -1, 0, -1, 2, 1], dtype=np.int16), -1),
    (np.array(["NaT", "2019-01-02T03:04", "NaT", "2019-07-01T00:00", "NaT", "NaT"], dtype="datetime64[us]"), NAT),
    (np.full(6, np.nan), np.nan),  # nothing on any row
]


@pytest.mark.parametrize("dense, fill", CASES)
@pytest.mark.parametrize("index", [0, 1, 4, 5, -1, -2, slice(None), slice(1, 4), slice(4, 100), slice(3, 3),
                                   slice(0, 6, 2), [4, 1, 1, 0], [], [-1, 3], [True, False, True, True, False, True]])
def test_indexing_is_the_dense_arrays(dense, fill, index):
    dense, sparse = _pair(dense, fill)
    want = dense[np.array(index, dtype=bool if index and isinstance(index[0], bool) else np.int64)] \
        if isinstance(index, list) else dense[index]
    got = sparse[index]
    assert np.asarray(got).dtype == np.asarray(want).dtype
    np.testing.assert_array_equal(got, want)


def test_out_of_range_rows_are_refused_as_numpy_does():
    _, sparse = _pair(*CASES[0])
    for index in (6, -7, [0, 6]):
        with pytest.raises(IndexError):
            sparse[index]


def test_it_keeps_only_the_rows_with_values():
    dense, sparse = _pair(*CASES[2])
    assert sparse.rows.tolist() == [1, 3] and len(sparse) == 6 and sparse.shape == (6,)
    np.testing.assert_array_equal(sparse.dense(), dense)
