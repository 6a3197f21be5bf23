"""Handing freed memory back to the system, so a server that did one large piece of work (a 301 MB upload parsed, a
long clip decoded) does not keep hundreds of MB resident that it no longer uses."""

from __future__ import annotations

import ctypes


def return_freed_memory() -> None:
    """glibc keeps freed memory in each thread's arena for reuse; malloc_trim gives the free pages back."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc (macOS, musl): nothing to trim
        pass
