"""The bench's peak memory (bench/bench_build.py `TreeMemory`): a forked process's own pages
count, pages it shares with its parent count once."""

from __future__ import annotations

import multiprocessing
import os
import sys
import time

import pytest

from bench.bench_build import TreeMemory

pytestmark = pytest.mark.skipif(not os.path.exists(f"/proc/{os.getpid()}/smaps_rollup"),
                                reason="PSS is read from Linux's /proc/<pid>/smaps_rollup")

MB = 2**20


def _hold(size: int, seconds: float) -> None:
    """In a forked child: touch `size` bytes of its own, then wait."""
    own = bytearray(os.urandom(size))
    time.sleep(seconds)
    assert own


def _idle(seconds: float) -> None:
    time.sleep(seconds)


def _peak_with_child(target: object, *args: object) -> float:
    with TreeMemory(interval=0.02) as memory:
        child = multiprocessing.get_context("fork").Process(target=target, args=args)
        child.start()
        child.join()
    assert child.exitcode == 0
    assert memory.peak_mb is not None
    return memory.peak_mb


@pytest.mark.skipif(sys.platform != "linux", reason="fork and /proc")
def test_a_childs_own_pages_count_and_pages_it_shares_count_once() -> None:
    held = bytearray(os.urandom(64 * MB))  # this process's own pages, which a forked child shares
    with TreeMemory(interval=0.02) as alone:
        time.sleep(0.1)
    assert alone.peak_mb is not None and alone.peak_mb > 64

    sharing = _peak_with_child(_idle, 0.3)
    owning = _peak_with_child(_hold, 48 * MB, 0.3)
    # A child that only shares the 64 MB adds little (its interpreter's own pages); adding up
    # RSS would count the 64 MB twice. A child with 48 MB of its own adds those.
    assert sharing < alone.peak_mb + 32
    assert owning > sharing + 40
    assert held
