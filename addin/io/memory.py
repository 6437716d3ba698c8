"""Give the C heap's free memory back to the system between the stages of a large run.

Reading a million orders makes and frees millions of small buffers (a group's cells, its joined
tails); glibc keeps the freed pages in the process's heap, where they count as its memory until
exit: about 280 MB after reading a million orders, measured (bench/README.md). malloc_trim(0)
returns every free page of the heap at once. No Python library exposes it (it is one call in
glibc, and nothing at all on Windows or macOS, whose allocators return memory themselves), hence
ctypes here; elsewhere this does nothing.
"""

from __future__ import annotations

import ctypes
import gc
import sys
from functools import lru_cache
from typing import Any


@lru_cache(maxsize=1)
def _glibc() -> Any:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None)  # the C library Python runs on (find_library would start ldconfig)
        return libc if hasattr(libc, "malloc_trim") else None  # musl has none
    except OSError:
        return None


def give_back() -> None:
    """Free what only reference cycles still hold (a stage's frames and closures can hold a large
    part of what it read until the next full collection), then return the free pages of the C heap
    to the system (glibc; elsewhere only the collection)."""
    gc.collect()
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)
