"""Tests for dagrad.autograd.profiler and dagrad.profiler: counts, nesting, PyTorch's table layout,
Chrome trace JSON, memory and stacks, and that nothing is left installed after the block."""
from __future__ import annotations

import json
import re
from typing import Any

import numpy as np
import pytest

import dagrad
from dagrad.autograd import engine, profiler
from dagrad.autograd.profiler import (
    _format_memory,
    _format_time,
    _format_time_share,
    aten_name,
    profile,
    record_function,
)
from dagrad.ops import _registry
from dagrad.profiler import ProfilerActivity


def _seed_002_loop(lib: Any, n: int, backward: bool = False, **kwargs: Any) -> Any:
    """Seed 002 (the PyTorch autograd tutorial): the profiled ``z = (z / x) * y`` loop."""
    lib.manual_seed(0)
    x = lib.randn(2, 3, requires_grad=True)
    y = lib.rand(2, 3, requires_grad=True)
    z = lib.ones(2, 3, requires_grad=True)
    with lib.autograd.profiler.profile(**kwargs) as prf:
        for _ in range(n):
            z = (z / x) * y
        if backward:
            z.sum().backward()
    return prf


def _rows(table: str) -> dict[str, list[str]]:
    """``{name: [column values...]}`` from a printed table's body rows."""
    lines = table.splitlines()
    body = lines[3:-2]
    return {cells[0]: cells[1:] for cells in (re.split(r"\s{2,}", ln.strip()) for ln in body)}


def _calls(prof: Any) -> dict[str, int]:
    return {e.key: e.count for e in prof.key_averages()}


# ------------------------------------------------------------------------------ the seed
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_seed_002_loop_counts_and_table_layout() -> None:
    prf = _seed_002_loop(dagrad, 1000)
    assert _calls(prf) == {"aten::div": 1000, "aten::mul": 1000}
    table = prf.key_averages().table(sort_by="self_cpu_time_total")
    lines = table.split("\n")
    sep = "-------------  " + "------------  " * 6
    assert lines[0] == sep
    assert lines[1] == ("         Name    Self CPU %      Self CPU   CPU total %     CPU total  "
                        "CPU time avg    # of Calls  ")
    assert lines[2] == sep and lines[5] == sep
    assert re.fullmatch(r"Self CPU time total: \d+\.\d{3}(us|ms|s)", lines[6])
    assert lines[7] == ""                       # PyTorch ends the table with a newline
    rows = _rows(table)
    assert set(rows) == {"aten::div", "aten::mul"}
    for cells in rows.values():
        assert re.fullmatch(r"\d+\.\d\d%", cells[0]) and cells[0] == cells[2]   # no children
        assert re.fullmatch(r"\d+\.\d{3}(us|ms|s)", cells[1])
        assert cells[-1] == "1000"
    shares = [float(c[0][:-1]) for c in rows.values()]
    assert sum(shares) == pytest.approx(100.0, abs=0.02)
    # sorted by self CPU time, largest first
    avgs = prf.key_averages()
    first = max(avgs, key=lambda e: e.self_cpu_time_total).key
    assert lines[3].split()[0] == first


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_seed_002_loop_with_backward_has_node_rows() -> None:
    prf = _seed_002_loop(dagrad, 1000, backward=True)
    calls = _calls(prf)
    assert calls["MulBackward0"] == 1000
    assert calls["DivBackward0"] == 1000
    assert calls["autograd::engine::evaluate_function: MulBackward0"] == 1000
    assert calls["autograd::engine::evaluate_function: DivBackward0"] == 1000
    assert calls["SumBackward0"] == 1
    assert calls["torch::autograd::AccumulateGrad"] == 3
    assert calls["aten::sum"] == 1
    # the formulas' ops run inside their node: MulBackward0 contains two aten::mul
    mul_nodes = [e for e in prf.function_events if e.name == "MulBackward0"]
    assert all([c.name for c in n.cpu_children].count("aten::mul") == 2 for n in mul_nodes)
    assert all(n.cpu_parent.name == "autograd::engine::evaluate_function: MulBackward0"
               for n in mul_nodes)
    assert all(e.scope == 1 for e in mul_nodes)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_table_headers_match_torch() -> None:
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)
    for kwargs, group in [({}, False), ({"record_shapes": True}, True),
                          ({"profile_memory": True}, False)]:
        ours = _seed_002_loop(dagrad, 20, **kwargs).key_averages(group_by_input_shape=group)
        theirs = _seed_002_loop(torch, 20, **kwargs).key_averages(group_by_input_shape=group)
        ours_t = ours.table(sort_by="self_cpu_time_total").split("\n")
        theirs_t = theirs.table(sort_by="self_cpu_time_total").split("\n")
        assert ours_t[:3] == theirs_t[:3], kwargs          # dashes, header, dashes: identical
        assert len(ours_t) == len(theirs_t)
        ours_rows, theirs_rows = _rows("\n".join(ours_t)), _rows("\n".join(theirs_t))
        assert set(ours_rows) == set(theirs_rows) == {"aten::div", "aten::mul"}
        for name in ours_rows:
            assert ours_rows[name][-1 if not group else -2] == "20"
            if group:
                assert ours_rows[name][-1] == theirs_rows[name][-1] == "[[2, 3], [2, 3]]"
            if kwargs.get("profile_memory"):
                # CPU Mem, Self CPU Mem: 20 outputs of 6 float32 each
                assert ours_rows[name][5:7] == theirs_rows[name][5:7] == ["480 B", "480 B"]


def test_formats_match_torch() -> None:
    pytest.importorskip("torch")
    from torch.autograd import profiler_util as pu
    for us in [0.0, 0.0004, 1.0, 6.907, 999.9994, 999.9996, 1000.0, 6907.0, 999999.0,
               1e6, 1.234e6, 3.6e9]:
        assert _format_time(us) == pu._format_time(us)
    for share, total in [(1.0, 3.0), (0.0, 5.0), (2.0, 2.0)]:
        assert _format_time_share(share, total) == pu._format_time_share(share, total)
    assert _format_time_share(0, 0) == pu._format_time_share(0, 0) == "NaN"
    for n in [0, 4, 960, 1023, 1024, 1536, -672, 5 * 1024 ** 2, 3 * 1024 ** 3]:
        assert _format_memory(n) == pu._format_memory(n)


def test_format_time_golden() -> None:
    assert _format_time(6.907) == "6.907us"
    assert _format_time(6907.0) == "6.907ms"
    assert _format_time(1234000.0) == "1.234s"
    assert _format_time_share(6907, 13804) == "50.04%"
    assert _format_memory(960) == "960 B" and _format_memory(1200) == "1.17 KB"


def test_aten_names() -> None:
    assert [aten_name(n) for n in ("mul", "div", "_view", "_bmm", "_expand", "_to_copy",
                                   "linalg_vector_norm")] == [
        "aten::mul", "aten::div", "aten::view", "aten::matmul", "aten::expand",
        "aten::_to_copy", "aten::linalg_vector_norm"]
    with profile() as prof:
        dagrad.ones(2, 3).view(6)
    assert [e.name for e in prof.function_events] == ["aten::view"]


# ------------------------------------------------------------------------ nesting, self time
def test_record_function_nests_and_self_time_is_total_minus_children() -> None:
    a = dagrad.ones(100, 100)
    with profile() as prof:
        with record_function("outer"):
            b = a * 2
            with record_function("inner"):
                c = b + 1
                c.sum()
        d = a - 1
    evs = {e.name: e for e in prof.function_events}
    assert [e.name for e in prof.function_events] == [
        "outer", "aten::mul", "inner", "aten::add", "aten::sum", "aten::sub"]
    outer, inner = evs["outer"], evs["inner"]
    assert [c.name for c in outer.cpu_children] == ["aten::mul", "inner"]
    assert [c.name for c in inner.cpu_children] == ["aten::add", "aten::sum"]
    assert evs["aten::sub"].cpu_parent is None and outer.cpu_parent is None
    for e in prof.function_events:
        kids = sum(c.cpu_time_total for c in e.cpu_children)
        assert e.self_cpu_time_total == pytest.approx(e.cpu_time_total - kids)
        assert e.self_cpu_time_total >= 0
        assert e.time_range.start <= e.time_range.end
        for c in e.cpu_children:
            assert e.time_range.start <= c.time_range.start <= c.time_range.end \
                <= e.time_range.end
    total = outer.cpu_time_total + evs["aten::sub"].cpu_time_total
    assert prof.self_cpu_time_total == pytest.approx(total)
    assert prof.key_averages().self_cpu_time_total == pytest.approx(total)
    assert prof.total_average().key == "Total"
    assert prof.total_average().count == 6
    assert prof.total_average().self_cpu_time_total == pytest.approx(total)
    assert d is not None


def test_record_function_as_decorator_recursive() -> None:
    @record_function("fact")
    def fact(n: int, t: dagrad.Tensor) -> dagrad.Tensor:
        return t if n == 0 else fact(n - 1, t * n)

    with profile() as prof:
        out = fact(3, dagrad.ones(1))
    assert out.item() == 6.0
    names = [(e.name, e.cpu_parent.name if e.cpu_parent else None)
             for e in prof.function_events]
    assert names == [("fact", None), ("aten::mul", "fact"), ("fact", "fact"),
                     ("aten::mul", "fact"), ("fact", "fact"), ("aten::mul", "fact"),
                     ("fact", "fact")]
    assert _calls(prof)["fact"] == 4


def test_record_function_without_profiler_is_a_no_op() -> None:
    with record_function("nothing") as rf:
        y = dagrad.ones(2) * 3
    assert rf._rec is None and y.tolist() == [3.0, 3.0]


def test_top_level_events_only_and_row_limit() -> None:
    with profile() as prof:
        with record_function("block"):
            dagrad.ones(3) * 2
        dagrad.ones(3) + 1
    t = prof.key_averages().table(top_level_events_only=True)
    assert "This report only display top-level ops statistics" in t
    names = set(_rows("\n".join(t.split("\n")[2:])))
    assert names == {"block", "aten::add"}
    t = prof.key_averages().table(row_limit=1)
    assert len(_rows(t)) == 1


def test_time_unit_option() -> None:
    with profile() as prof:
        dagrad.ones(3) * 2
    t = prof.key_averages().table(time_unit="ms")
    assert re.search(r"\d\.\d{3}ms", _rows(t)["aten::mul"][1])
    assert t.split("\n")[-2].endswith("ms")


# ------------------------------------------------------------------------- shapes, memory, stack
def test_group_by_input_shape() -> None:
    a, b = dagrad.ones(2, 3), dagrad.ones(4)
    with profile(record_shapes=True) as prof:
        a * a
        b * 2
        a * a
    groups = {(e.key, str(e.input_shapes)): e.count
              for e in prof.key_averages(group_by_input_shape=True)}
    assert groups == {("aten::mul", "[[2, 3], [2, 3]]"): 2, ("aten::mul", "[[4], []]"): 1}
    table = prof.key_averages(group_by_input_shape=True).table()
    assert table.split("\n")[1].rstrip().endswith("# of Calls          Input Shapes")
    plain = prof.key_averages()
    assert len(plain) == 1 and plain[0].count == 3 and plain[0].input_shapes == ""
    assert "Input Shapes" not in plain.table()


def test_profile_memory_counts_output_bytes() -> None:
    a = dagrad.ones(10, 10, dtype=dagrad.float64)
    with profile(profile_memory=True) as prof, record_function("block"):
        b = a * 2              # 800 bytes
        c = b.view(100)        # a view: nothing allocated
        c.sum()                # 8 bytes
    mem = {e.name: (e.cpu_memory_usage, e.self_cpu_memory_usage) for e in prof.function_events}
    assert mem == {"block": (808, 0), "aten::mul": (800, 800), "aten::view": (0, 0),
                   "aten::sum": (8, 8)}
    header = prof.key_averages().table().split("\n")[1]
    assert "CPU Mem  Self CPU Mem    # of Calls" in header
    assert _rows(prof.key_averages().table())["aten::mul"][5:7] == ["800 B", "800 B"]


def test_with_stack_records_the_callers_line() -> None:
    with profile(with_stack=True) as prof:
        dagrad.ones(3) * 2; line = _lineno()
    (evt,) = [e for e in prof.function_events if e.name == "aten::mul"]
    assert evt.stack[0].startswith(f"{__file__}({line}): ")
    assert evt.stack[0].endswith("test_with_stack_records_the_callers_line")
    assert not any("/dagrad/" in s and "/tests/" not in s for s in evt.stack)
    grouped = prof.key_averages(group_by_stack_n=1).table()
    assert "Source Location" in grouped.split("\n")[1]


def _lineno() -> int:
    import sys
    return sys._getframe(1).f_lineno


# ------------------------------------------------------------------------- chrome trace
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_export_chrome_trace_is_valid_trace_event_json(tmp_path: Any) -> None:
    prf = _seed_002_loop(dagrad, 5, backward=True, record_shapes=True)
    path = tmp_path / "trace.json"
    prf.export_chrome_trace(str(path))
    data = json.loads(path.read_text())
    assert isinstance(data, dict) and isinstance(data["traceEvents"], list)
    xs = [e for e in data["traceEvents"] if e["ph"] == "X"]
    assert len(xs) == len(prf.function_events)
    for e in xs:
        assert set(e) >= {"name", "ph", "ts", "dur", "pid", "tid", "args", "cat"}
        assert isinstance(e["name"], str) and isinstance(e["args"], dict)
        assert isinstance(e["ts"], (int, float)) and isinstance(e["dur"], (int, float))
        assert e["ts"] >= 0 and e["dur"] >= 0
        assert isinstance(e["pid"], int) and isinstance(e["tid"], int)
    muls = [e for e in xs if e["name"] == "aten::mul"]
    assert muls[0]["args"]["Input Dims"] == [[2, 3], [2, 3]]
    assert any(e["name"] == "MulBackward0" and "Sequence number" in e["args"] for e in xs)
    # complete events on one thread must nest or be disjoint for the viewers to stack them
    spans = sorted((e["ts"], e["ts"] + e["dur"]) for e in xs)
    open_ends: list[float] = []
    for start, end in spans:
        while open_ends and open_ends[-1] <= start:
            open_ends.pop()
        assert not open_ends or end <= open_ends[-1] + 1e-3
        open_ends.append(end)
    meta = [e for e in data["traceEvents"] if e["ph"] == "M"]
    assert {e["name"] for e in meta} == {"process_name", "thread_name"}


# ------------------------------------------------------------------------- on and off
def test_nothing_stays_installed_after_the_block() -> None:
    plain = _registry.Op.__call__
    with profile():
        assert _registry.Op.__call__ is not plain
        assert profiler.is_profiler_enabled()
    assert _registry.Op.__call__ is plain and _registry._OBSERVER is None
    assert not any(isinstance(o, profiler._Collector) for o in engine.OBSERVERS)
    assert not profiler.is_profiler_enabled()
    with pytest.raises(ZeroDivisionError), profile():
        raise ZeroDivisionError
    assert _registry.Op.__call__ is plain and not profiler.is_profiler_enabled()


def test_profile_cannot_nest_or_reenter() -> None:
    with profile(), pytest.raises(RuntimeError, match="already running"), profile():
        pass
    p = profile()
    with p:
        pass
    with pytest.raises(RuntimeError, match="Profiler context manager is not reentrant"), p:
        pass


def test_disabled_profile_records_nothing() -> None:
    plain = _registry.Op.__call__
    with profile(enabled=False) as prof:
        assert _registry.Op.__call__ is plain
        dagrad.ones(2) * 2
    assert len(prof.function_events) == 0 and prof.key_averages().table() == ""


def test_events_read_inside_the_block_raise() -> None:
    with profile() as prof, pytest.raises(RuntimeError, match="still running"):
        prof.key_averages()


def test_backward_error_inside_profile_closes_open_ranges() -> None:
    from dagrad.autograd.function import Function

    class Boom(Function):
        @staticmethod
        def forward(ctx: Any, x: dagrad.Tensor) -> dagrad.Tensor:
            return x * 1

        @staticmethod
        def backward(ctx: Any, g: dagrad.Tensor) -> dagrad.Tensor:
            raise ValueError("boom")

    x = dagrad.ones(2, requires_grad=True)
    with profile() as prof:
        y = Boom.apply(x).sum()
        with pytest.raises(ValueError, match="boom"):
            y.backward()
        dagrad.ones(2) * 3
    last = prof.function_events[-1]
    assert last.name == "aten::mul" and all(e.time_range.end >= e.time_range.start
                                            for e in prof.function_events)


def test_use_cuda_warns_cpu_only() -> None:
    with pytest.warns(UserWarning, match="CPU only"):
        profile(use_cuda=True)


# ------------------------------------------------------------------------- dagrad.profiler
def test_new_api_profile_with_activities_and_steps() -> None:
    w = dagrad.ones(3, requires_grad=True)
    with dagrad.profiler.profile(activities=[ProfilerActivity.CPU],
                                 record_shapes=True) as prof:
        for _ in range(3):
            with dagrad.profiler.record_function("train_step"):
                (w * 2).sum().backward()
            prof.step()
    calls = _calls(prof)
    assert calls["train_step"] == 3 and calls["aten::mul"] >= 3
    assert calls["ProfilerStep*"] == 3        # steps 1..3 (the range opened by step 3 is empty)
    assert calls["MulBackward0"] == 3
    assert prof.events()[0].name == "train_step"
    names = [e.trace_name for e in prof.events() if e.name == "ProfilerStep*"]
    assert names == ["ProfilerStep#1", "ProfilerStep#2", "ProfilerStep#3"]
    table = prof.key_averages().table(sort_by="cpu_time_total", row_limit=10)
    assert table.split("\n")[1].strip().startswith("Name    Self CPU %")


def test_new_api_cuda_activity_warns_and_schedule_is_refused() -> None:
    with pytest.warns(UserWarning, match="CPU only"):
        dagrad.profiler.profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA])
    with pytest.raises(NotImplementedError, match="schedules"):
        dagrad.profiler.profile(schedule=lambda step: None)
    assert dagrad.profiler.supported_activities() == {ProfilerActivity.CPU}


def test_on_trace_ready_is_called_with_the_profiler(tmp_path: Any) -> None:
    seen = []

    def handler(p: Any) -> None:
        seen.append(p)
        p.export_chrome_trace(str(tmp_path / "t.json"))

    with dagrad.profiler.profile(on_trace_ready=handler) as prof:
        dagrad.ones(2) * 2
    assert seen == [prof]
    assert json.loads((tmp_path / "t.json").read_text())["traceEvents"]


def test_sort_keys_and_repr() -> None:
    with profile(profile_memory=True) as prof:
        dagrad.ones(50) * 2
        dagrad.ones(3) + 1
    avgs = prof.key_averages()
    for key in ("self_cpu_time_total", "cpu_time_total", "cpu_time", "count",
                "cpu_memory_usage", "self_cpu_memory_usage", "cuda_time_total",
                "self_cuda_time_total"):
        assert "aten::mul" in avgs.table(sort_by=key)
    assert "FunctionEventAvg key=aten::mul" in repr(avgs[0])
    assert "FunctionEvent id=0 name=aten::mul" in repr(prof.function_events[0])
    assert str(prof) == prof.function_events.table()
    assert np.isclose(prof.self_cpu_time_total, sum(e.self_cpu_time_total for e in avgs))
