"""Building many long-lived objects at once without the cyclic garbage collector's help.

Loading a site builds hundreds of thousands of objects that live as long as the content
version (index entries, folder nodes, pages). Each time enough of them have been allocated,
CPython's collector walks every object the program holds; on a 50,000-page site that was
more than half of the time to the first page (2.0 of 5.2 s in collections, measured for
docs/benchmarks.md). Nothing made during such a step is garbage, so:

- :func:`bulk_allocation` pauses the collector while a block builds them (pauses nest, and a
  collector the program paused itself stays paused);
- in a long-running process that asked for it (:func:`keep_long_lived`: ``qalam serve``'s
  workers, ``qalam build``), what exists when the outermost block ends is moved out of the
  collector's sight (``gc.freeze``), so later collections walk only what requests allocate;
- when a content version is dropped (:func:`release`), that is undone, and the next bulk step
  first collects the old version's objects, which would otherwise stay frozen for good.
"""

from __future__ import annotations

import contextlib
import gc
import threading

_lock = threading.Lock()
_depth = 0
_resume = False
_freeze = False
_collect_first = False


def keep_long_lived(enabled: bool = True) -> None:
    """Freeze what a bulk step built, in a process that keeps it (see module docstring)."""
    global _freeze
    _freeze = enabled


def release() -> None:
    """Content derived from an old version is being dropped: let the collector see it again."""
    global _collect_first
    with _lock:
        if _freeze or gc.get_freeze_count():
            gc.unfreeze()
            _collect_first = True


@contextlib.contextmanager
def bulk_allocation():
    """Pause the cyclic garbage collector while the block builds long-lived objects."""
    global _depth, _resume, _collect_first
    with _lock:
        if _depth == 0:
            _resume = gc.isenabled()
            if _collect_first and _resume:
                _collect_first = False
                gc.collect()  # the dropped version's pages, before what is left is frozen again
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _resume:
                if _freeze:
                    gc.freeze()
                gc.enable()
