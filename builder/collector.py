"""Pausing Python's cyclic garbage collector while building large acyclic structures.

Loading a snapshot or indexing the search rows makes millions of objects and no reference
cycles; the collector would only re-scan them, again and again, as they pile up (a third of
the load time, more than half of the index build).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused() -> Iterator[None]:
    """Run the block with the cyclic collector off (reference counting still frees memory)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
