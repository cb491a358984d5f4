"""The one place that imports mpi4py: lazily, so that ``import dagrad.distributed`` costs nothing
and works without MPI, and with an error that says how to install it."""
from __future__ import annotations

import importlib.util
from typing import Any

INSTALL_HINT = ("dagrad.distributed needs mpi4py and an MPI library: install both with "
                "`pip install dagrad[distributed]` (mpi4py and the MPICH wheel, which brings "
                "`mpiexec`), then start the script with `mpiexec -n 2 python script.py`")


def available() -> bool:
    """True when mpi4py can be imported (checked without importing it, so MPI stays down)."""
    return importlib.util.find_spec("mpi4py") is not None


def MPI() -> Any:
    """The ``mpi4py.MPI`` module; importing it the first time initialises MPI (MPI_Init_thread).

    Raises:
        ImportError: mpi4py or the MPI library it loads is missing, with the install command.
    """
    try:
        from mpi4py import MPI as mpi
    except (ImportError, RuntimeError, OSError) as e:
        raise ImportError(f"{INSTALL_HINT} ({type(e).__name__}: {e})") from e
    return mpi
