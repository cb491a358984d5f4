"""dagrad.distributed across real processes: each test launches ``mpiexec -n 2`` on a worker.

Skipped where mpi4py or mpiexec is missing (``pip install dagrad[distributed]`` brings both);
with DAGRAD_REQUIRE_MPI=1 (``.ci/run-mpi``) they fail instead of skipping.
"""
from __future__ import annotations

import importlib.util
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent


def _mpiexec() -> str | None:
    beside = Path(sys.executable).parent / "mpiexec"     # the venv's MPICH, if installed there
    return str(beside) if beside.exists() else shutil.which("mpiexec")


MPIEXEC = _mpiexec()
_MISSING = ("mpi4py is not installed" if importlib.util.find_spec("mpi4py") is None
            else "mpiexec not found" if MPIEXEC is None else None)
if _MISSING and os.environ.get("DAGRAD_REQUIRE_MPI") == "1":
    raise RuntimeError(f"DAGRAD_REQUIRE_MPI=1 but {_MISSING}: pip install dagrad[distributed]")
pytestmark = pytest.mark.skipif(_MISSING is not None, reason=f"{_MISSING}")


def launch(script: Path, *args: str, n: int = 2, timeout: float = 120,
           **env_vars: str) -> tuple[int | None, str, float]:
    """Run ``mpiexec -n N python script args``; kill the whole process group on timeout.

    Returns (exit code, stdout + stderr, seconds). A job still running at ``timeout`` is a hang:
    its exit code is reported as None.
    """
    env = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
               MKL_NUM_THREADS="1", **env_vars)
    start = time.monotonic()
    proc = subprocess.Popen([MPIEXEC, "-n", str(n), sys.executable, str(script), *args],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=timeout)
        code = proc.returncode
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)       # mpiexec and every rank it started
        out, _ = proc.communicate()
        code = None
    return code, out, time.monotonic() - start


def ok_lines(out: str, rank: int) -> list[str]:
    """The checks ``rank`` reported as ``RANK r OK name (details)``, in order. mpiexec merges
    the ranks' output streams, so a report may share a line with another rank's."""
    found = re.findall(r"RANK (\d+) OK (.+?)(?= \(|RANK \d|\n|$)", out)
    return [name for r, name in found if int(r) == rank]


@pytest.mark.parametrize("progress_thread", ["auto", "1"])
def test_ddp_on_two_ranks_equals_one_process_on_the_double_batch(progress_thread: str) -> None:
    # "1" forces the progress thread on (Note [Progress thread]); "auto" leaves it off on a
    # machine with no more cores than ranks
    code, out, _ = launch(HERE / "_worker_equivalence.py",
                          DAGRAD_MPI_PROGRESS_THREAD=progress_thread)
    assert code == 0, out
    expected = ["one bucket", "many buckets", "gradient_as_bucket_view", "no_sync accumulation",
                "find_unused_parameters", "find_unused_parameters + bucket view + no_sync",
                "unfinished reduction raises"]
    assert ok_lines(out, 0) == expected and ok_lines(out, 1) == expected, out


@pytest.mark.parametrize("progress_thread", ["auto", "1"])
def test_collectives_give_exact_results(progress_thread: str) -> None:
    code, out, _ = launch(HERE / "_worker_collectives.py",
                          DAGRAD_MPI_PROGRESS_THREAD=progress_thread)
    assert code == 0, out
    expected = ["all_reduce SUM/AVG/MAX/MIN/PRODUCT/BOR, sync and async",
                "broadcast, all_gather, reduce_scatter, reduce, objects, barrier",
                "error messages", "DDP module, state_dict, parameter and buffer broadcast",
                "DistributedSampler defaults", "destroy and re-init"]
    assert ok_lines(out, 0) == expected and ok_lines(out, 1) == expected, out


def test_a_rank_that_raises_ends_the_job() -> None:
    code, out, seconds = launch(HERE / "_worker_failure.py", "raise", timeout=60)
    assert code is not None, f"the job hung for {seconds:.0f} s:\n{out}"
    assert code != 0, out
    assert "RuntimeError: boom on rank 1" in out
    assert "aborting all ranks" in out and "finished, which it must not" not in out


def test_a_rank_that_never_calls_the_collective_times_out_and_ends_the_job() -> None:
    code, out, seconds = launch(HERE / "_worker_failure.py", "timeout", timeout=60)
    assert code is not None, f"the job hung for {seconds:.0f} s:\n{out}"
    assert code != 0 and seconds < 30, out
    assert "DistBackendError: [Rank 0] Work(SeqNum=1, OpType=ALLREDUCE, NumelIn=3, " \
           "Timeout(ms)=2000) ran for" in out


def test_example_trains_on_two_ranks() -> None:
    code, out, _ = launch(ROOT / "examples" / "ddp_train.py", "--epochs", "2", timeout=150)
    assert code == 0, out
    assert "[rank 0]" in out and "[rank 1]" in out and "final accuracy" in out, out
