"""The shared benchmark harness: backends, the ``Case`` protocol, timing, correctness, memory.

A benchmark module (``bench/b1_two_layer.py`` ...) declares

    NAME = "B1"                      # the id used by --only
    TITLE = "two-layer net, SGD step"
    ROWS = [Row("step", "time per iteration", targets=[TimeTarget("step", "numpy", 1.10)])]
    def make(backend: str, quick: bool) -> Case   # raise NotAvailable(reason) when it can't run

and a ``Case`` is one backend's version of the benchmark:

    setup()        build inputs and parameters (untimed, once)
    reset()        restore the initial state before each sample (untimed)
    check()        {name: array} from the first iteration, compared across backends at start-up
    run(n)         run n units of work; return {metric: seconds per unit} (default:
                   n calls of step(), as the metric "step")
    memory_run()   the work whose peak memory is measured (default: run(1))

The dagrad and PyTorch versions of a benchmark are usually one class, given the library module
(``import dagrad as torch`` runs PyTorch code), so both run literally the same code.
"""
from __future__ import annotations

import gc
import math
import os
import platform
import resource
import statistics
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import bench  # noqa: F401  (pins the thread pools before NumPy loads)
import numpy as np

BACKENDS = ("dagrad", "numpy", "torch")
clock = time.perf_counter
MiB = 1024.0 * 1024.0


class NotAvailable(Exception):
    """A backend cannot run this benchmark (a missing feature or package); the reason is shown."""


# --------------------------------------------------------------------------- backends
_LIBS: dict[str, Any] = {}


def load(backend: str) -> Any:
    """The library module for ``backend`` (dagrad, numpy or torch), or raise NotAvailable."""
    if backend in _LIBS:
        return _LIBS[backend]
    if backend == "numpy":
        lib = np
    elif backend == "dagrad":
        try:
            import dagrad as lib
        except Exception as e:  # the library is edited concurrently: report, don't crash
            raise NotAvailable(f"dagrad does not import: {type(e).__name__}: {e}") from e
    elif backend == "torch":
        try:
            import torch as lib
        except ImportError as e:
            raise NotAvailable("torch not installed") from e
        lib.set_num_threads(1)
        try:
            lib.set_num_interop_threads(1)
        except RuntimeError:  # only allowed before any parallel work
            pass
    else:
        raise ValueError(f"unknown backend {backend!r}")
    _LIBS[backend] = lib
    return lib


def resolve(lib: Any, dotted: str) -> Any:
    """``lib.<dotted>`` (e.g. ``resolve(dagrad, "nn.functional.conv2d")``), importing
    submodules on the way; raise NotAvailable when it does not exist (yet)."""
    import importlib
    obj, path = lib, lib.__name__
    for part in dotted.split("."):
        path = f"{path}.{part}"
        try:
            obj = getattr(obj, part)
            continue
        except Exception:  # AttributeError, or an ImportError from a lazy submodule
            pass
        try:
            obj = importlib.import_module(path)
        except Exception as e:
            raise NotAvailable(f"{path} not yet in {lib.__name__}") from e
    return obj


def has(lib: Any, dotted: str) -> bool:
    """True when ``lib.<dotted>`` exists (see resolve)."""
    try:
        resolve(lib, dotted)
        return True
    except NotAvailable:
        return False


def to_numpy(t: Any) -> np.ndarray:
    """A backend value (dagrad/torch Tensor, ndarray, scalar) as a float64 ndarray."""
    if hasattr(t, "detach"):
        t = t.detach()
    if hasattr(t, "numpy"):
        t = t.numpy()
    return np.asarray(t, dtype=np.float64)


# --------------------------------------------------------------------------- the Case protocol
class Case:
    backend = ""

    def setup(self) -> None:
        pass

    def reset(self) -> None:
        pass

    def check(self) -> dict[str, Any]:
        return {}

    def run(self, n: int) -> dict[str, float]:
        """Default: ``n`` calls of ``self.step()``, timed as the metric ``step``."""
        return {"step": timed(self.step, n)}

    def memory_run(self) -> None:
        self.run(1)


def timed(fn: Any, n: int) -> float:
    """Seconds per call of ``fn()`` over ``n`` calls."""
    t0 = clock()
    for _ in range(n):
        fn()
    return (clock() - t0) / n


# --------------------------------------------------------------------------- rows and targets
@dataclass
class TimeTarget:
    """dagrad's median ``metric`` <= ``max_ratio`` x the ``ref`` backend's."""
    metric: str
    ref: str
    max_ratio: float

    def text(self) -> str:
        return f"<= {self.max_ratio:g}x {'NumPy' if self.ref == 'numpy' else 'PyTorch'}"


@dataclass
class MemTarget:
    """dagrad's peak memory <= ``max_ratio`` x the ``ref`` backend's."""
    ref: str
    max_ratio: float

    def text(self) -> str:
        return f"mem <= {self.max_ratio:g}x {'NumPy' if self.ref == 'numpy' else 'PyTorch'}"


@dataclass
class RssTarget:
    """dagrad's RSS grows by at most ``max_pct`` % between warm-up and the end of a long loop."""
    max_pct: float

    def text(self) -> str:
        return f"RSS flat within {self.max_pct:g}%"


@dataclass
class Row:
    """One line of the table. ``kind`` is "time" (a metric's median) or "rss" (RSS growth)."""
    metric: str
    label: str
    kind: str = "time"
    targets: list = field(default_factory=list)
    show_mem: bool = True


# --------------------------------------------------------------------------- correctness
CHECK_RTOL = 1e-4


def rel_err(a: Any, b: Any) -> float:
    """||a - b|| / ||b|| (inf on a shape mismatch or a non-finite value)."""
    a, b = to_numpy(a), to_numpy(b)
    if a.shape != b.shape:
        return math.inf
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        return math.inf
    den = float(np.linalg.norm(b.ravel()))
    num = float(np.linalg.norm((a - b).ravel()))
    return num / den if den > 0 else num


def compare(values: dict[str, Any], ref: dict[str, Any]) -> tuple[float, str]:
    """The worst relative error over the reference's entries, and the entry it came from."""
    worst, where = 0.0, ""
    for k, rv in ref.items():
        if k not in values:
            return math.inf, f"{k} missing"
        e = rel_err(values[k], rv)
        if e > worst or not where:
            worst, where = e, k
    return worst, where


# --------------------------------------------------------------------------- measurement
def run_samples(cases: dict[str, Case], samples: int, budget_s: float,
                warmups: int = 2) -> dict:
    """Time every case, interleaved: each sample runs every backend once (ABC, BCA, CAB...).

    Each backend runs ``n`` units per sample, ``n`` chosen so one sample takes about
    ``budget_s``; results are per unit. gc.collect() and reset() run before each sample,
    outside the clock; the garbage collector stays enabled while timing (as users run).

    Before sampling, ``gc.freeze()`` moves every object alive then (the three libraries'
    modules, the cases' inputs) out of the collector's reach, and ``gc.unfreeze()`` restores it
    after. Without it, importing torch into the same process (~150,000 objects) makes each full
    collection triggered by dagrad's graph objects scan torch's objects too, which doubled
    dagrad's B2 per-op time (6 -> 14 us) in some runs and not others: a cost of running the
    backends in one process, not of any backend.
    """
    names = list(cases)
    reps, errors = {}, {}

    def guarded(b: str, n: int) -> dict[str, float] | None:
        # A backend that raises is dropped from the run (its error is reported), not fatal.
        try:
            return cases[b].run(n)
        except Exception as e:
            errors[b] = f"run: {type(e).__name__}: {e}"
            names.remove(b)
            return None

    for b in list(names):  # warm-up (first calls load lazy code) and calibration
        for _ in range(warmups):
            cases[b].reset()
            t0 = clock()
            ok = guarded(b, 1)
            t1 = clock() - t0
            if ok is None:
                break
        else:
            reps[b] = max(1, min(100_000, int(budget_s / max(t1, 1e-9))))
    per = {b: {} for b in names}
    gc.collect()
    gc.freeze()
    try:
        _sample(cases, names, samples, reps, per, guarded)
    finally:
        gc.unfreeze()
    out = {b: {"error": e} for b, e in errors.items()}
    for b in names:
        out[b] = {"reps_per_sample": reps[b], "metrics": {}}
        for m, vals in per[b].items():
            out[b]["metrics"][m] = {"median": statistics.median(vals), "min": min(vals),
                                    "max": max(vals), "samples": vals}
    return out


def _sample(cases: dict, names: list, samples: int, reps: dict, per: dict, guarded: Any) -> None:
    for s in range(samples):
        order = list(names)
        k = s % max(1, len(order))
        for b in order[k:] + order[:k]:
            if b not in names:
                continue
            cases[b].reset()
            gc.collect()
            r = guarded(b, reps[b])
            for m, v in (r or {}).items():
                per[b].setdefault(m, []).append(v)


def rss_bytes() -> int:
    """The current resident set size of this process."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return peak_bytes()


def reset_peak() -> bool:
    """Reset the kernel's peak-RSS mark (VmHWM) to the current RSS; False where unsupported."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def peak_bytes() -> int:
    """The peak resident set size: VmHWM (since the last reset_peak) or ru_maxrss."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    r = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return r if sys.platform == "darwin" else r * 1024


def _libc() -> Any:
    """The C library, through ctypes (OSError where there is none to load)."""
    import ctypes
    import ctypes.util
    return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")


def pin_allocator() -> str:
    """Fix glibc's heap thresholds for the timing process, as the thread pools are fixed.

    By default glibc hands large freed blocks back to the kernel (mmap'd blocks, and a heap top
    above the trim threshold) and moves those thresholds as the program runs. A backend that
    frees and reallocates a few hundred KiB per step (hand-written NumPy's fresh gradient
    arrays in B1) then pays ~150 page faults a step or none, depending on what ran before it in
    the process: B1's NumPy step measured 330 or 530 us on the same machine. With both
    thresholds fixed high, freed memory stays in the heap and no backend pays page faults for
    memory it used a step earlier; the timings compare work, not the allocator's history. The
    memory benchmarks run in their own processes with their own settings (bench/memory.py).
    """
    try:
        libc = _libc()
        m_trim, m_mmap = -1, -3                       # M_TRIM_THRESHOLD, M_MMAP_THRESHOLD
        ok = libc.mallopt(m_trim, 1 << 30) == 1 and libc.mallopt(m_mmap, 32 << 20) == 1
    except (OSError, AttributeError):
        ok = False
    return ("glibc trim threshold 1 GiB, mmap threshold 32 MiB (fixed)" if ok
            else "unavailable (not glibc): the allocator's defaults")


def malloc_trim() -> bool:
    """Give the C heap's free memory back to the OS (glibc), so RSS counts live memory only."""
    try:
        _libc().malloc_trim(0)
        return True
    except (OSError, AttributeError):
        return False


def measure_peak(case: Case, trace: bool = True) -> dict:
    """Peak memory of ``case.memory_run()`` above the steady state (call in a fresh process).

    rss_peak: VmHWM after the run minus the RSS before it, the mark reset just before (Linux;
    elsewhere the lifetime ru_maxrss, less exact). Before the run, a warm-up run, then
    gc.collect() and malloc_trim(0), so the RSS it starts from holds live memory only and the
    run cannot hide its peak in memory the allocator kept from the warm-up. The caller's
    process runs with glibc's mmap threshold fixed at 64 KiB (no dynamic threshold), so the
    allocator behaves the same in the warm-up and the measured run.
    tracemalloc_peak: the peak of the memory tracemalloc traces during the run: NumPy's array
    buffers and Python objects (meaningless for PyTorch, whose tensors it cannot see);
    skipped (None) when ``trace`` is false.
    """
    import tracemalloc
    case.reset()
    case.memory_run()  # warm-up: lazy imports, caches, first-call allocations
    case.reset()
    gc.collect()
    malloc_trim()
    exact = reset_peak()
    base = rss_bytes()
    case.memory_run()
    peak = peak_bytes()
    tpeak = None
    if trace:
        case.reset()
        gc.collect()
        tracemalloc.start()
        case.memory_run()
        _, tpeak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return {"rss_base": base, "rss_peak": max(0, peak - base), "rss_exact": exact,
            "tracemalloc_peak": tpeak}


# --------------------------------------------------------------------------- machine
def _openblas_runtime() -> str:
    """OpenBLAS's core type and thread count, asked from the library NumPy loaded."""
    import ctypes
    try:
        with open("/proc/self/maps") as f:
            paths = {ln.split()[-1] for ln in f if "openblas" in ln.lower() and "/" in ln}
    except OSError:
        return ""
    for p in sorted(paths):
        try:
            so = ctypes.CDLL(p)
        except OSError:
            continue
        core = threads = None
        for pre in ("scipy_openblas_", "openblas_"):
            for suf in ("64_", "_64_", ""):
                fn = getattr(so, f"{pre}get_corename{suf}", None)
                if fn is not None and core is None:
                    fn.restype = ctypes.c_char_p
                    core = fn().decode()
                fn = getattr(so, f"{pre}get_num_threads{suf}", None)
                if fn is not None and threads is None:
                    fn.restype = ctypes.c_int
                    threads = fn()
        if core or threads:
            return f"core={core} threads={threads} ({os.path.basename(p)})"
    return ""


def machine() -> dict:
    """CPU, cores, Python, NumPy's BLAS and PyTorch's settings (printed above the table)."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    info = {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "cores_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "load_average": (" ".join(f"{v:.2f}" for v in os.getloadavg())
                         if hasattr(os, "getloadavg") else None),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "numpy": np.__version__,
        "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE", "(unset)"),
        "threads_pinned_before_numpy": bench.PINNED_BEFORE_NUMPY,
        "thread_env": {v: os.environ.get(v) for v in bench.THREAD_VARS},
    }
    try:
        cfg = np.show_config(mode="dicts")
        blas = cfg["Build Dependencies"]["blas"]
        info["numpy_blas"] = f"{blas.get('name')} {blas.get('version')}"
        simd = cfg.get("SIMD Extensions", {})
        info["numpy_simd"] = ",".join(simd.get("found", []))
    except Exception:
        info["numpy_blas"] = "unknown"
    info["openblas_runtime"] = _openblas_runtime()
    try:
        from threadpoolctl import threadpool_info
        info["threadpoolctl"] = [
            f"{p.get('internal_api')} {p.get('version')} threads={p.get('num_threads')}"
            f" arch={p.get('architecture')}" for p in threadpool_info()]
    except ImportError:
        info["threadpoolctl"] = "not installed"
    try:
        torch = load("torch")
        cfg = torch.__config__.show()
        blas = [ln.split("BLAS_INFO=")[1].split(",")[0] for ln in cfg.split("\n")
                if "BLAS_INFO=" in ln]
        info["torch"] = (f"{torch.__version__} threads={torch.get_num_threads()}"
                         f" interop={torch.get_num_interop_threads()}"
                         f" blas={blas[0] if blas else '?'}")
    except NotAvailable as e:
        info["torch"] = str(e)
    try:
        dagrad = load("dagrad")
        info["dagrad"] = dagrad.__version__
    except NotAvailable as e:
        info["dagrad"] = str(e)
    return info


# --------------------------------------------------------------------------- formatting
def fmt_time(s: float | None) -> str:
    if s is None:
        return "n/a"
    for unit, f in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if s >= f:
            return f"{s / f:.3g} {unit}"
    return f"{s / 1e-9:.3g} ns"


def fmt_mib(b: float | None) -> str:
    return "n/a" if b is None else f"{b / MiB:.1f}"


def fmt_ratio(r: float | None) -> str:
    return "n/a" if r is None else f"{r:.2f}x"
