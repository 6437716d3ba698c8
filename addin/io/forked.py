"""Half of a long job in a forked process, its output handed back through an anonymous file.

Why by hand: concurrent.futures and multiprocessing pickle what they hand to a worker, and what a
recalculation's second half needs (the evaluated batch, its presenter, the rule set) is large
and full of compiled rules; a fork starts with all of it already in memory, copy-on-write.
Where os.fork does not exist (Windows), or for a small job, the work runs in this process
instead, when its output is first asked for: the same bytes either way.

The child writes its bytes and then its result to files that are already unlinked: if this
process is killed, nothing is left behind, and the child stops at its next chunk when it sees
that its parent is gone.
"""

from __future__ import annotations

import gc
import os
import pickle
import tempfile
from collections.abc import Callable, Iterable, Iterator
from typing import Any, BinaryIO

CHUNK = 1 << 20


class ForkedError(Exception):
    """The forked half failed; the message is its error's."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind


class Half:
    """work() -> chunks of bytes, then result() -> a picklable value; run in a fork when it can be."""

    def __init__(self, work: Callable[[], Iterable[bytes]], result: Callable[[], Any], fork: bool = True):
        self.work, self.result_of = work, result
        self.pid: int | None = None
        self._result: Any = None
        self._done = False
        if fork and hasattr(os, "fork"):
            self._start()

    def _start(self) -> None:
        self.out, self.res = _anonymous(), _anonymous()
        parent = os.getpid()
        gc.freeze()  # the objects made so far are left out of garbage collection: a collection in the
        pid = os.fork()  # child would write to every one of them and copy every page the two share
        if pid:
            gc.unfreeze()
            self.pid = pid
            return
        gc.disable()  # the child is short-lived; its own garbage goes when it exits
        code = 0  # the child: never returns into the caller's code
        try:
            for chunk in self.work():
                if os.getppid() != parent:
                    os._exit(2)
                self.out.write(chunk)
            self.out.flush()
            pickle.dump(("ok", self.result_of()), self.res)
        except BaseException as e:  # noqa: BLE001 - handed to the parent, which raises it
            code = 1
            try:
                pickle.dump(("error", type(e).__name__, str(e)), self.res)
            except BaseException:  # noqa: BLE001
                pass
        finally:
            try:
                self.res.flush()
            finally:
                os._exit(code)

    def chunks(self) -> Iterator[bytes]:
        """The half's bytes (waiting for the child, or making them here)."""
        if self.pid is None:
            yield from self.work()
            self._result, self._done = self.result_of(), True
            return
        self._wait()
        self.out.seek(0)
        while True:
            data = self.out.read(CHUNK)
            if not data:
                break
            yield data
        self.out.close()

    def result(self) -> Any:
        """The value result() gave (once the chunks are consumed, when there are any)."""
        if self.pid is None and not self._done:
            for _ in self.chunks():
                pass
        if not self._done:
            self._wait()
        return self._result

    def _wait(self) -> None:
        if self._done:
            return
        _, status = os.waitpid(self.pid, 0)  # type: ignore[arg-type]
        self.res.seek(0)
        try:
            outcome = pickle.load(self.res)
        except EOFError:
            outcome = ("error", "ForkedError", f"the second half stopped (status {status})")
        self.res.close()
        self._done = True
        if outcome[0] == "error":
            raise ForkedError(outcome[1], outcome[2])
        self._result = outcome[1]

    def cancel(self) -> None:
        """Stop the child if it still runs (the caller failed before asking for the output), and let go
        of the files and of its result (large: the caller has taken what it needs). Called in any case
        when the caller is done."""
        self._result = None
        if self.pid is not None and not self._done:
            try:
                os.kill(self.pid, 9)
                os.waitpid(self.pid, 0)
            except OSError:
                pass
            self._done = True
        if self.pid is not None:
            self.out.close()
            self.res.close()


def _anonymous() -> BinaryIO:
    """A temporary file with no name: it goes away with the last process that holds it."""
    return tempfile.TemporaryFile()  # unlinked at once on POSIX


__all__ = ["Half", "ForkedError"]
