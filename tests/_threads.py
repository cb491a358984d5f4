"""Run a function on several threads at once, switching between them as often as possible."""
from __future__ import annotations

import sys
import threading
from typing import Callable


def run_in_threads(fn: Callable[[int], None], n: int) -> None:
    """``fn(i)`` on ``n`` threads; the interpreter switches threads every microsecond meanwhile,
    so they interleave inside library calls too. Exceptions are the caller's to collect."""
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        threads = [threading.Thread(target=fn, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(interval)
