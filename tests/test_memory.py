"""Between the stages of a large run, what a stage let go of goes back to the system."""

import sys
import weakref

import pytest

from addin.io import memory


class _Held:
    pass


def test_what_only_a_cycle_still_holds_is_freed():
    held = _Held()
    held.me = held  # a stage's frame or closure holding a large part of what it read
    gone = weakref.ref(held)
    del held
    memory.give_back()
    assert gone() is None


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc_trim")
def test_on_linux_the_heap_is_trimmed_by_glibc_and_no_helper_process_is_started(monkeypatch):
    import subprocess

    memory._glibc.cache_clear()
    monkeypatch.setattr(subprocess, "Popen", lambda *a, **k: pytest.fail("a process was started"))
    assert memory._glibc() is not None and memory._glibc().malloc_trim(0) in (0, 1)
