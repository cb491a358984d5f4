"""Side-by-side benchmarks: dagrad vs hand-written NumPy vs PyTorch (issue #8).

Run ``python -m bench`` (or ``python bench/run.py``); ``--help`` lists the options.

Every thread pool is pinned to one thread here, before anything imports NumPy (OpenBLAS and
OpenMP read these variables once, when they load): the numbers compare bookkeeping, not
parallel BLAS. ``OPENBLAS_CORETYPE`` is left as the environment sets it (and printed).
"""
import os as _os
import sys as _sys

THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
               "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")

#: True when the variables were set before NumPy was first imported in this process.
PINNED_BEFORE_NUMPY = "numpy" not in _sys.modules
for _v in THREAD_VARS:
    _os.environ[_v] = "1"
