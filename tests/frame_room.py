"""Room on the interpreter's frame stack for the tests: against CPython 3.11's chunk thrashing.

CPython 3.11 keeps Python frames on a per-thread stack made of 16 KiB chunks and frees a chunk
the moment the frame at its bottom returns (python/cpython#142183; 3.13 and later keep one
spare). A loop whose calls cross a chunk's edge maps and unmaps a chunk at every call: in the
functional tier (in-process moto, botocore and the app, many frames deep) that was about 30,000
mmap/munmap pairs a test, and a quarter of the tier's CPU time went to the system calls and the
page faults behind them.

`call_with_room` is a plain call through one frame with many unused local slots: the interpreter
gives that frame a chunk of its own of 1 MiB, about half of it left free above the frame, and
every frame a test makes then fits in that free half. tests/conftest.py runs the test loop
through it, so no chunk is mapped or unmapped while tests run. What the tests run is unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

# 8 bytes a slot: a frame of about 530 KB. A new chunk is the smallest power of two holding the
# frame plus 8 KB (1 MiB here), so some 500 KB stay free for the frames above it: well over the
# recursion limit's thousand frames.
UNUSED_SLOTS = 66_000


def _roomy_call() -> Callable[..., Any]:
    def call(function: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        return function(*args, **kwargs)

    code = call.__code__
    names = code.co_varnames + tuple(f"_unused{n}" for n in range(UNUSED_SLOTS))
    call.__code__ = code.replace(co_varnames=names, co_nlocals=len(names))
    return call


call_with_room = _roomy_call()
