"""Run the benchmark suite: dagrad vs hand-written NumPy vs PyTorch, side by side.

    python -m bench                      # full run (a few minutes)
    python -m bench --quick              # under 90 s: fewer samples, shorter samples
    python -m bench --only B1,B3 --json out.json

What it does, per benchmark (bench/b*.py):
  1. correctness: the first iteration's values (loss, gradients...) of dagrad and PyTorch are
     compared with the NumPy version; a relative error over 1e-4 marks the row WRONG, so a
     fast-but-wrong library can't meet a target;
  2. timing: every backend in this one process, interleaved (each sample runs dagrad, NumPy,
     PyTorch once, rotating the order), all thread pools pinned to 1 thread, glibc's heap
     thresholds fixed (harness.pin_allocator: no page faults that depend on what ran before);
     medians reported;
  3. memory: each backend in its own fresh process (bench/memory.py): after a warm-up,
     gc.collect() and malloc_trim(0), the peak RSS of one unit of work above the RSS just
     before it (VmHWM, reset via /proc/self/clear_refs; glibc's mmap threshold fixed at
     64 KiB); plus the tracemalloc peak (NumPy buffers and Python objects) for dagrad and
     NumPy (not in --quick). B7's RSS-over-a-loop runs with the default allocator settings.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # `python bench/run.py`: make `import bench` find this package
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import bench  # noqa: E402,F401  (pins the thread pools before NumPy loads)
from bench import (b1_two_layer, b2_op_overhead, b3_mlp, b3_mlp_nn, b4_cnn,  # noqa: E402
                   b5_hessian, b6_scalar_graph, b7_memory, harness)
from bench.harness import (BACKENDS, CHECK_RTOL, MemTarget, NotAvailable, RssTarget,  # noqa: E402
                           TimeTarget, fmt_mib, fmt_ratio, fmt_time)

MODULES = {m.NAME: m for m in (b1_two_layer, b2_op_overhead, b3_mlp, b3_mlp_nn, b4_cnn,
                               b5_hessian, b6_scalar_graph, b7_memory)}
ROOT = Path(__file__).resolve().parent.parent
LABEL = {"dagrad": "dagrad", "numpy": "NumPy", "torch": "PyTorch"}


_T0 = time.perf_counter()


def log(msg: str) -> None:
    print(f"[bench {time.perf_counter() - _T0:5.1f}s] {msg}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- one benchmark
def run_benchmark(mod, quick: bool, samples: int, budget: float) -> dict:
    res: dict = {"title": mod.TITLE, "backends": {b: {} for b in BACKENDS}}
    cases = {}
    for b in BACKENDS:
        try:
            c = mod.make(b, quick)
            c.setup()
            cases[b] = c
        except NotAvailable as e:
            res["backends"][b]["na"] = str(e)
        except Exception as e:
            res["backends"][b]["error"] = f"setup: {type(e).__name__}: {e}"

    # 1. correctness, against the NumPy version
    checks = {}
    for b, c in list(cases.items()):
        try:
            checks[b] = c.check()
        except Exception as e:
            res["backends"][b]["error"] = f"check: {type(e).__name__}: {e}"
            del cases[b]
    for b in ("dagrad", "torch"):
        if b in checks and "numpy" in checks:
            err, where = harness.compare(checks[b], checks["numpy"])
            res["backends"][b]["check"] = {"max_rel_err": err, "worst": where,
                                           "ok": err <= CHECK_RTOL}

    # 2. timing, interleaved
    timing = harness.run_samples(cases, samples, budget, warmups=1 if quick else 2)
    for b, t in timing.items():
        res["backends"][b].update(t)
    return res


def run_memory(name: str, quick: bool, backends: list[str], rss: bool) -> dict:
    out = {}
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    if not rss:
        env["MALLOC_MMAP_THRESHOLD_"] = "65536"
    for b in backends:
        cmd = [sys.executable, "-m", "bench.memory", name, b] + (["--quick"] if quick else []) \
            + (["--rss"] if rss else [])
        try:
            p = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True,
                               timeout=600)
            lines = p.stdout.strip().splitlines()
            out[b] = json.loads(lines[-1]) if lines else {
                "error": f"no output (exit {p.returncode}): {p.stderr.strip()[-300:]}"}
        except (subprocess.TimeoutExpired, json.JSONDecodeError) as e:
            out[b] = {"error": f"{type(e).__name__}: {e}"}
    return out


# --------------------------------------------------------------------------- targets and table
def median(res: dict, b: str, metric: str) -> float | None:
    m = res["backends"][b].get("metrics", {}).get(metric)
    return m["median"] if m else None


def peak(res: dict, b: str) -> float | None:
    m = res["backends"][b].get("memory", {})
    return m.get("rss_peak")


def ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def evaluate(row, res: dict) -> tuple[str, list]:
    """'met' / 'NOT MET' / 'n/a' / 'WRONG', and the per-target details."""
    details = []
    status = "met"
    for t in row.targets:
        if isinstance(t, TimeTarget):
            r = ratio(median(res, "dagrad", t.metric), median(res, t.ref, t.metric))
            ok = None if r is None else r <= t.max_ratio
            details.append({"target": t.text(), "value": r, "ok": ok})
        elif isinstance(t, MemTarget):
            r = ratio(peak(res, "dagrad"), peak(res, t.ref))
            ok = None if r is None else r <= t.max_ratio
            details.append({"target": t.text(), "value": r, "ok": ok})
        elif isinstance(t, RssTarget):
            g = res["backends"]["dagrad"].get("rss", {}).get("rss_growth_pct")
            ok = None if g is None else g <= t.max_pct
            details.append({"target": t.text(), "value": g, "ok": ok})
        if ok is None:
            status = "n/a"
        elif not ok and status == "met":
            status = "NOT MET"
    if not row.targets:
        status = "-"
    chk = res["backends"]["dagrad"].get("check")
    if chk and not chk["ok"]:
        status = "WRONG"
    return status, details


def cell(res: dict, b: str, row) -> str:
    be = res["backends"][b]
    if row.kind == "rss":
        r = be.get("rss", {})
        if "rss_growth_pct" in r:
            return f"{r['rss_growth_pct']:+.1f}%"
        return "n/a" if "na" in be or "na" in r else "error"
    if "na" in be:
        return "n/a"
    if "error" in be and not be.get("metrics"):
        return "error"
    return fmt_time(median(res, b, row.metric))


def table(results: dict) -> list[str]:
    head = ["bench", "what", "dagrad", "NumPy", "PyTorch", "d/NumPy", "d/PyTorch",
            "peak MiB d/np/pt", "target", "status"]
    rows = []
    for name, res in results.items():
        mod = MODULES[name]
        for i, row in enumerate(mod.ROWS):
            status, _ = evaluate(row, res)
            if row.kind == "rss":
                r_np = r_pt = "-"
                mem = "/".join(fmt_mib(res["backends"][b].get("rss", {}).get("rss_end"))
                               for b in BACKENDS) + " (end)"
            else:
                d = median(res, "dagrad", row.metric)
                r_np = fmt_ratio(ratio(d, median(res, "numpy", row.metric)))
                r_pt = fmt_ratio(ratio(d, median(res, "torch", row.metric)))
                show = row.show_mem and getattr(mod, "MEMORY", True)
                mem = "/".join(fmt_mib(peak(res, b)) for b in BACKENDS) if show else ""
            rows.append([name if i == 0 else "", row.label] +
                        [cell(res, b, row) for b in BACKENDS] +
                        [r_np, r_pt, mem, ", ".join(t.text() for t in row.targets) or "-",
                         status])
    widths = [max(len(str(r[k])) for r in rows + [head]) for k in range(len(head))]
    fmt = "  ".join(f"{{:{'<' if k < 2 or k >= 8 else '>'}{w}}}" for k, w in enumerate(widths))
    lines = [fmt.format(*head), "  ".join("-" * w for w in widths)]
    lines += [fmt.format(*r) for r in rows]
    return lines


def memory_table(results: dict) -> list[str]:
    mems = {n: {b: r["backends"][b].get("memory", {}) for b in BACKENDS}
            for n, r in results.items()}
    traced = any(m.get("tracemalloc_peak") is not None for v in mems.values()
                 for m in v.values())
    lines = ["peak memory of one unit of work, MiB above the steady state "
             "(fresh process per backend):",
             f"  {'bench':<6}{'RSS dagrad':>12}{'RSS NumPy':>12}{'RSS PyTorch':>13}"
             + (f"{'tracemalloc dagrad':>20}{'tracemalloc NumPy':>19}" if traced else "")]
    for name, mem in mems.items():
        if not any(mem.values()):
            continue
        line = f"  {name:<6}" + "".join(
            f"{fmt_mib(mem[b].get('rss_peak')):>{w}}" for b, w in zip(BACKENDS, (12, 12, 13)))
        if traced:
            line += "".join(f"{fmt_mib(mem[b].get('tracemalloc_peak')):>{w}}"
                            for b, w in (("dagrad", 20), ("numpy", 19)))
        lines.append(line)
    return lines


def notes(results: dict) -> list[str]:
    out = []
    for name, res in results.items():
        for b in BACKENDS:
            be = res["backends"][b]
            for key in ("na", "error"):
                if key in be:
                    out.append(f"{name} {LABEL[b]}: {'n/a' if key == 'na' else 'ERROR'}: "
                               f"{be[key]}")
            for key in ("memory", "rss"):
                if "error" in be.get(key, {}):
                    out.append(f"{name} {LABEL[b]} {key}: ERROR: {be[key]['error']}")
            chk = be.get("check")
            if chk:
                out.append(f"{name} {LABEL[b]} vs NumPy: max rel err {chk['max_rel_err']:.1e} "
                           f"({chk['worst']}) {'ok' if chk['ok'] else 'MISMATCH'}")
    return out


# --------------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="fewer, shorter samples (< 90 s)")
    ap.add_argument("--only", default="", help="comma-separated benchmarks, e.g. B1,B3")
    ap.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    ap.add_argument("--samples", type=int, help="samples per backend (default 5 / 15)")
    ap.add_argument("--no-memory", action="store_true", help="skip the memory processes")
    a = ap.parse_args(argv)

    by_upper = {k.upper(): k for k in MODULES}
    names = [by_upper.get(n.strip().upper(), n.strip()) for n in a.only.split(",")
             if n.strip()] or list(MODULES)
    unknown = [n for n in names if n not in MODULES]
    if unknown:
        ap.error(f"unknown benchmark(s) {', '.join(unknown)}; choose from {', '.join(MODULES)}")
    samples = a.samples or (5 if a.quick else 15)
    budget = 0.02 if a.quick else 0.15
    t_start = time.perf_counter()

    allocator = harness.pin_allocator()
    info = harness.machine()
    info["allocator"] = allocator
    print("machine:")
    for k in ("cpu", "cores", "cores_usable", "load_average", "platform", "python", "numpy",
              "numpy_blas", "openblas_runtime", "OPENBLAS_CORETYPE", "threadpoolctl", "torch",
              "dagrad", "threads_pinned_before_numpy"):
        print(f"  {k}: {info.get(k)}")
    print(f"  thread env: {' '.join(f'{k}={v}' for k, v in info['thread_env'].items())}")
    print(f"  allocator (timing process): {allocator}")
    print(f"mode: {'quick' if a.quick else 'full'}, {samples} interleaved samples per backend, "
          f"~{budget * 1e3:.0f} ms each; medians shown")

    results = {}
    for n in names:
        log(f"{n}: correctness check, timing")
        results[n] = run_benchmark(MODULES[n], a.quick, samples, budget)
    if not a.no_memory:
        for n in names:
            mod = MODULES[n]
            if not getattr(mod, "MEMORY", True):
                continue
            avail = [b for b in BACKENDS if "na" not in results[n]["backends"][b]]
            log(f"{n}: memory (one process per backend)")
            for b, m in run_memory(n, a.quick, avail, rss=False).items():
                results[n]["backends"][b]["memory"] = m
            if hasattr(mod, "extra_memory"):
                for b, m in run_memory(n, a.quick, list(BACKENDS), rss=True).items():
                    if "na" in m:
                        results[n]["backends"][b].setdefault("na", m["na"])
                    results[n]["backends"][b]["rss"] = m

    print()
    for line in table(results):
        print(line)
    if not a.no_memory:
        print()
        for line in memory_table(results):
            print(line)
    extra = notes(results)
    load, cores = info.get("load_average"), info.get("cores_usable") or info.get("cores") or 1
    if load and float(load.split()[0]) > 0.5 * cores:
        extra.insert(0, f"the machine was busy (load average {load.split()[0]} on {cores} "
                        "cores): timings are noisy; compare ratios, rerun on an idle machine")
    if extra:
        print("\nnotes:")
        for line in extra:
            print(f"  {line}")
    if "B7" in results:
        iters = results["B7"]["backends"]["dagrad"].get("rss", {}).get("rss_iters")
        if iters:
            print(f"  B7 RSS: {iters} B1 iterations per backend, growth from the RSS after "
                  f"warm-up to the end; the peak column shows the RSS at the end")
    elapsed = time.perf_counter() - t_start
    print(f"\ntotal time: {elapsed:.1f} s")

    if a.json:
        payload = {"machine": info, "mode": "quick" if a.quick else "full", "samples": samples,
                   "sample_budget_s": budget, "elapsed_s": elapsed, "results": results}
        for n, res in results.items():
            res["rows"] = []
            for row in MODULES[n].ROWS:
                status, details = evaluate(row, res)
                res["rows"].append({"metric": row.metric, "label": row.label,
                                    "status": status, "targets": details})
        with open(a.json, "w") as f:
            json.dump(payload, f, indent=1, default=str)
        print(f"wrote {a.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
