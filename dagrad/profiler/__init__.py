"""``dagrad.profiler``: PyTorch's newer profiler API over ``dagrad.autograd.profiler``.

    from dagrad.profiler import profile, record_function, ProfilerActivity

    with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:
        with record_function("model_inference"):
            model(inputs)
    print(prof.key_averages().table(sort_by="cpu_time_total", row_limit=10))
    prof.export_chrome_trace("trace.json")

dagrad runs on the CPU only: ``ProfilerActivity.CPU`` is the one activity recorded. Schedules
(``schedule=``) are not supported; ``step()`` marks ``ProfilerStep#<n>`` ranges, as PyTorch does
without a schedule.
"""
from __future__ import annotations

import enum
import warnings
from collections.abc import Callable, Iterable
from typing import Any, Self

from dagrad.autograd import profiler as _legacy
from dagrad.autograd.profiler import EventList, FunctionEventAvg, record_function

__all__ = ["ProfilerActivity", "profile", "record_function", "supported_activities"]


class ProfilerActivity(enum.Enum):
    """What to profile: ``CPU`` (dagrad ops and backward nodes). ``CUDA`` is accepted and warned
    about: dagrad has no device."""

    CPU = 0
    CUDA = 2


def supported_activities() -> set[ProfilerActivity]:
    """The activities dagrad can record: ``{ProfilerActivity.CPU}``."""
    return {ProfilerActivity.CPU}


class profile:
    """Profile the ops, backward nodes and ``record_function`` ranges run inside the block.

    Args:
        activities: ProfilerActivity values; default (None) and ``[CPU]`` record the CPU.
        on_trace_ready: called with the profiler when it stops.
        record_shapes: store input shapes (``key_averages(group_by_input_shape=True)``).
        profile_memory: store bytes allocated by each op's outputs ("CPU Mem" columns).
        with_stack: store each op call's Python stack (``file(line): function``).

    Example:
        >>> with profile(activities=[ProfilerActivity.CPU]) as prof:
        ...     y = dagrad.ones(3) * 2
        >>> prof.key_averages()[0].key
        'aten::mul'
    """

    def __init__(self, *, activities: Iterable[ProfilerActivity] | None = None,
                 schedule: Callable | None = None,
                 on_trace_ready: Callable[[profile], Any] | None = None,
                 record_shapes: bool = False, profile_memory: bool = False,
                 with_stack: bool = False) -> None:
        if schedule is not None:
            raise NotImplementedError("dagrad.profiler.profile: schedules are not supported; "
                                      "profile the steps you want inside the block instead.")
        acts = set(activities) if activities is not None else {ProfilerActivity.CPU}
        if acts - supported_activities():
            warnings.warn("dagrad runs on the CPU only: only ProfilerActivity.CPU is recorded.",
                          UserWarning, stacklevel=2)
        self.activities = acts
        self.on_trace_ready = on_trace_ready
        self.record_shapes = record_shapes
        self.profile_memory = profile_memory
        self.with_stack = with_stack
        self.step_num = 0
        self._step_rec: list | None = None
        self.profiler: _legacy.profile | None = None

    def start(self) -> None:
        """Begin recording (what entering the ``with`` block does)."""
        self.profiler = _legacy.profile(
            enabled=ProfilerActivity.CPU in self.activities, record_shapes=self.record_shapes,
            profile_memory=self.profile_memory, with_stack=self.with_stack)
        self.profiler.__enter__()

    def stop(self) -> None:
        """End recording (what leaving the ``with`` block does); then calls ``on_trace_ready``."""
        if self.profiler is None:
            return
        self._step_rec = _legacy._step_range(None, self._step_rec)
        self.profiler.__exit__(None, None, None)
        if self.on_trace_ready is not None:
            self.on_trace_ready(self)

    def step(self) -> None:
        """Mark the end of a training step: the next ops go into range ``ProfilerStep#<n+1>``."""
        self.step_num += 1
        self._step_rec = _legacy._step_range(f"ProfilerStep#{self.step_num}", self._step_rec)

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _prof(self) -> _legacy.profile:
        if self.profiler is None:
            raise RuntimeError("the profiler has not run yet: use it as a `with` block first")
        return self.profiler

    def events(self) -> EventList:
        """Every recorded event, in the order they began."""
        return self._prof().function_events

    def key_averages(self, group_by_input_shape: bool = False,
                     group_by_stack_n: int = 0) -> EventList:
        """Events averaged by name (and input shapes / top stack entries if asked)."""
        return self._prof().key_averages(group_by_input_shape, group_by_stack_n)

    def total_average(self) -> FunctionEventAvg:
        return self._prof().total_average()

    @property
    def self_cpu_time_total(self) -> float:
        return self._prof().self_cpu_time_total

    def export_chrome_trace(self, path: str) -> None:
        """Write Chrome trace-event JSON (chrome://tracing, https://ui.perfetto.dev)."""
        self._prof().export_chrome_trace(path)

    def export_stacks(self, path: str, metric: str = "self_cpu_time_total") -> None:
        self._prof().export_stacks(path, metric)
