"""``dagrad.autograd.profiler``: time every op and backward node, print PyTorch's table.

    with dagrad.autograd.profiler.profile() as prof:
        for _ in range(1000):
            z = (z / x) * y
    print(prof.key_averages().table(sort_by="self_cpu_time_total"))

Forward ops are named as ATen names them (``aten::mul``, ``aten::div``; Note [Profiler names]),
backward nodes by their node name (``MulBackward0``) inside PyTorch's
``autograd::engine::evaluate_function: MulBackward0`` wrapper, and ``record_function`` ranges by
their label. An event's *self* time is its total time minus that of the events nested in it.

The event classes, ``key_averages``, ``table`` and the time formats are ports of the CPU parts of
PyTorch's ``torch/autograd/profiler_util.py``, so the printed table has PyTorch's columns, layout
and units. Profiling costs nothing once the block is left (Note [Observing op calls]).
"""
from __future__ import annotations

import json
import os
import sys
import threading
from collections import defaultdict
from collections.abc import Iterable
from contextlib import ContextDecorator
from time import perf_counter_ns
from typing import Any, Self

_get_tid = threading.get_native_id
_DAGRAD_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep

# The one profiler collecting now (dagrad's op observer has a single slot).
_ACTIVE: _Collector | None = None

# at::RecordScope values PyTorch stores in ``FunctionEvent.scope``.
_SCOPE_FUNCTION, _SCOPE_BACKWARD, _SCOPE_USER = 0, 1, 7

# Note [Profiler names]
# PyTorch names a forward op event after the ATen operator (``aten::mul``). dagrad's op names are
# ATen's already, except private helpers that stand in for a public ATen op: those are mapped
# here; any other leading underscore is dropped (``_expand`` -> ``aten::expand``). Names that
# ATen itself spells with an underscore (``_to_copy``, ``_unsafe_view``) keep it.
_ATEN_NAMES = {
    "_view": "aten::view",
    "_bmm": "aten::matmul",
    "_alias": "aten::alias",
    "_copy_from": "aten::copy_",
    "_copy_backwards": "aten::clone",
    "_index_put": "aten::index_put_",
    "_index_backward": "aten::index_put",
    "_max_all": "aten::max",
    "_min_all": "aten::min",
    "_scalar_like": "aten::scalar_tensor",
    "_to_copy": "aten::_to_copy",
    "_unsafe_view": "aten::_unsafe_view",
    "_convolution": "aten::_convolution",
    "_conv_input_grad": "aten::convolution_backward",
    "_conv_weight_grad": "aten::convolution_backward",
    "_div_scalar": "aten::div",
}


def aten_name(op_name: str) -> str:
    """The name a profile gives to a call of the dagrad op ``op_name``.

    Example:
        >>> aten_name("mul"), aten_name("_view")
        ('aten::mul', 'aten::view')
    """
    name = _ATEN_NAMES.get(op_name)
    if name is None:
        name = "aten::" + op_name.lstrip("_")
    return name


# ------------------------------------------------------------------------------- collection
# A record is a list, the cheapest object to build on every op call:
_NAME, _START, _END, _PARENT, _SHAPES, _MEM, _STACK, _SCOPE, _TID, _SEQ = range(10)


class _Collector:
    """The observer: gets every op call (registry) and backward node (engine), keeps records."""

    def __init__(self, record_shapes: bool, profile_memory: bool, with_stack: bool) -> None:
        self.record_shapes = record_shapes
        self.profile_memory = profile_memory
        self.with_stack = with_stack
        self.records: list[list] = []
        self.stacks: dict[int, list] = {}       # thread id -> open records, innermost last
        self.names: dict[Any, str] = {}          # op -> "aten::..."
        self.t0 = 0
        self.t1 = 0

    # -- shared by every kind of event
    def begin(self, name: str, scope: int, shapes: Any = None, seq: int = -1) -> list:
        tid = _get_tid()
        stack = self.stacks.get(tid)
        if stack is None:
            stack = self.stacks[tid] = []
        rec = [name, 0, 0, stack[-1] if stack else None, shapes, 0,
               _user_stack() if self.with_stack else None, scope, tid, seq]
        self.records.append(rec)
        stack.append(rec)
        rec[_START] = perf_counter_ns()
        return rec

    def end(self, rec: list) -> None:
        rec[_END] = perf_counter_ns()
        stack = self.stacks[rec[_TID]]
        if stack and stack[-1] is rec:
            stack.pop()
        elif rec in stack:     # an inner range was never closed (an exception): close it too
            while stack.pop() is not rec:
                pass

    # -- Note [Observing op calls]
    def op_begin(self, op: Any, args: tuple, kwargs: dict) -> list:
        name = self.names.get(op)
        if name is None:
            name = self.names[op] = aten_name(op.name)
        shapes = _input_shapes(args, kwargs) if self.record_shapes else None
        return self.begin(name, _SCOPE_FUNCTION, shapes)

    def op_end(self, token: list, result: Any = None) -> None:
        self.end(token)
        if result is not None and self.profile_memory:
            token[_MEM] = _nbytes(result)

    # -- Note [Observing backward]
    def node_begin(self, node: Any, grad_outputs: list) -> tuple:
        name = node.name()
        seq = node._seq
        outer = self.begin("autograd::engine::evaluate_function: " + name, _SCOPE_BACKWARD,
                           [] if self.record_shapes else None, seq)
        shapes = _input_shapes(grad_outputs, {}) if self.record_shapes else None
        return outer, self.begin(name, _SCOPE_BACKWARD, shapes, seq)

    def node_end(self, token: tuple, node: Any, grad_outputs: list, grad_inputs: Any) -> None:
        outer, inner = token
        self.end(inner)
        self.end(outer)

    # -- turning it on and off
    def start(self) -> None:
        global _ACTIVE
        from dagrad.autograd import engine
        from dagrad.ops import _registry
        if _ACTIVE is not None or _registry._OBSERVER is not None:
            raise RuntimeError("dagrad's profiler is already running: profile() blocks cannot be "
                               "nested or run at the same time (ops have one observer slot).")
        _ACTIVE = self
        self.t0 = perf_counter_ns()
        _registry.set_observer(self)
        engine.OBSERVERS.append(self)

    def stop(self) -> None:
        global _ACTIVE
        from dagrad.autograd import engine
        from dagrad.ops import _registry
        self.t1 = perf_counter_ns()
        _registry.set_observer(None)
        engine.OBSERVERS[:] = [o for o in engine.OBSERVERS if o is not self]
        _ACTIVE = None
        for stack in self.stacks.values():      # ranges still open (an exception in backward)
            for rec in stack:
                rec[_END] = self.t1
            stack.clear()

    def events(self) -> EventList:
        """The records as FunctionEvents, with parents, children and inclusive memory."""
        t0 = self.t0
        by_rec: dict[int, FunctionEvent] = {}
        out = EventList(profile_memory=self.profile_memory)
        for i, rec in enumerate(self.records):
            name = rec[_NAME]
            evt = FunctionEvent(
                # PyTorch averages all steps together: ProfilerStep#3 is listed as ProfilerStep*
                id=i, name="ProfilerStep*" if name.startswith("ProfilerStep#") else name,
                trace_name=name, thread=rec[_TID], start_us=(rec[_START] - t0) / 1000.0,
                end_us=(rec[_END] - t0) / 1000.0, input_shapes=rec[_SHAPES] or [],
                stack=rec[_STACK] or [], scope=rec[_SCOPE], cpu_memory_usage=rec[_MEM],
                sequence_nr=rec[_SEQ], is_user_annotation=rec[_SCOPE] == _SCOPE_USER)
            by_rec[id(rec)] = evt
            parent = rec[_PARENT]
            if parent is not None:
                p = by_rec[id(parent)]
                p.cpu_children.append(evt)
                evt.cpu_parent = p
            out.append(evt)
        # CPU Mem counts what an event and everything nested in it allocated; children were
        # recorded after their parent, so one backward sweep adds them up.
        if self.profile_memory:
            for evt in reversed(out):
                if evt.cpu_parent is not None:
                    evt.cpu_parent.cpu_memory_usage += evt.cpu_memory_usage
        out._tree_built = True
        return out


def _input_shapes(args: Iterable, kwargs: dict) -> list:
    # PyTorch's convention: a tensor gives its size, anything else (scalars, lists) gives [].
    out = []
    for a in (*args, *kwargs.values()):
        shape = getattr(a, "_data", None)
        out.append(list(shape.shape) if shape is not None else [])
    return out


def _nbytes(result: Any) -> int:
    # Bytes the op allocated for its outputs; a view (an array with a base) allocates nothing.
    if isinstance(result, (tuple, list)):
        return sum(_nbytes(r) for r in result)
    a = getattr(result, "_data", None)
    if a is None or a.base is not None:
        return 0
    return int(a.nbytes)


def _user_stack() -> list[str]:
    """The Python stack of the caller, innermost first, without dagrad's own frames."""
    out = []
    f = sys._getframe(2)
    while f is not None:
        filename = f.f_code.co_filename
        if not filename.startswith(_DAGRAD_DIR):
            out.append(f"{filename}({f.f_lineno}): {f.f_code.co_name}")
        f = f.f_back
    return out


# ------------------------------------------------------------------------------- public API
class profile:
    """Record the time of every dagrad op and backward node run inside the block.

    Args:
        enabled: False makes the block a no-op (no events).
        use_cuda: accepted for PyTorch compatibility; dagrad runs on the CPU only.
        use_device: the same (``None`` or ``"cpu"``).
        record_shapes: store each event's input shapes (for
            ``key_averages(group_by_input_shape=True)``).
        profile_memory: store the bytes each op allocated for its outputs ("CPU Mem" columns).
        with_stack: store the Python stack (``file(line): function``) of each op call.

    Example:
        >>> with dagrad.autograd.profiler.profile() as prof:
        ...     y = dagrad.ones(3) * 2
        >>> [e.name for e in prof.function_events]
        ['aten::mul']
    """

    def __init__(self, enabled: bool = True, *, use_cuda: bool = False,
                 use_device: str | None = None, record_shapes: bool = False,
                 profile_memory: bool = False, with_stack: bool = False) -> None:
        if use_cuda or use_device not in (None, "cpu"):
            import warnings
            warnings.warn("dagrad runs on the CPU only: the profile records CPU time only.",
                          UserWarning, stacklevel=2)
        self.enabled = enabled
        self.use_cuda = use_cuda
        self.use_device = None
        self.record_shapes = record_shapes
        self.profile_memory = profile_memory
        self.with_stack = with_stack
        self.entered = False
        self._collector: _Collector | None = None
        self._function_events: EventList | None = None

    def __enter__(self) -> Self:
        if not self.enabled:
            return self
        if self.entered:
            raise RuntimeError("Profiler context manager is not reentrant")
        self.entered = True
        self._collector = _Collector(self.record_shapes, self.profile_memory, self.with_stack)
        self._function_events = None
        self._collector.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if not self.enabled or self._collector is None:
            return
        self._collector.stop()

    def __repr__(self) -> str:
        if self._collector is None and self.enabled:
            return "<unfinished dagrad.autograd.profile>"
        return repr(self.function_events)

    def __str__(self) -> str:
        return str(self.function_events)

    @property
    def function_events(self) -> EventList:
        """Every recorded event, in the order they began."""
        if self._function_events is None:
            c = self._collector
            if c is None:
                self._function_events = EventList(profile_memory=self.profile_memory)
                self._function_events._tree_built = True
            elif _ACTIVE is c:
                raise RuntimeError("The profiler is still running: read its events after the "
                                   "`with` block.")
            else:
                self._function_events = c.events()
        return self._function_events

    def events(self) -> EventList:
        """Same as ``function_events`` (the name ``torch.profiler.profile`` uses)."""
        return self.function_events

    def key_averages(self, group_by_input_shape: bool = False,
                     group_by_stack_n: int = 0) -> EventList:
        """Events averaged over their name (and input shapes / top stack entries if asked)."""
        return self.function_events.key_averages(group_by_input_shape, group_by_stack_n)

    def total_average(self) -> FunctionEventAvg:
        """One FunctionEventAvg summing every event."""
        return self.function_events.total_average()

    @property
    def self_cpu_time_total(self) -> float:
        """Sum of every event's self CPU time (µs): the wall time of the top-level events."""
        return self.function_events.self_cpu_time_total

    def table(self, sort_by: str | None = None, row_limit: int = 100,
              max_src_column_width: int = 75, max_name_column_width: int = 55,
              max_shapes_column_width: int = 80, header: str | None = None,
              top_level_events_only: bool = False) -> str:
        """The events (not averaged) as PyTorch's table; see ``EventList.table``."""
        return self.function_events.table(
            sort_by=sort_by, row_limit=row_limit, max_src_column_width=max_src_column_width,
            max_name_column_width=max_name_column_width,
            max_shapes_column_width=max_shapes_column_width, header=header,
            top_level_events_only=top_level_events_only)

    def export_chrome_trace(self, path: str) -> None:
        """Write the events as Chrome trace-event JSON (chrome://tracing, ui.perfetto.dev)."""
        self.function_events.export_chrome_trace(path)

    def export_stacks(self, path: str, metric: str = "self_cpu_time_total") -> None:
        """Write ``frame;frame;... value`` lines (flame-graph input); needs ``with_stack=True``."""
        if not self.with_stack:
            raise RuntimeError("export_stacks() requires with_stack=True")
        self.function_events.export_stacks(path, metric)


class record_function(ContextDecorator):
    """Label a block (or, as a decorator, each call of a function) in the current profile.

    The range shows up as a row named ``name``; ops run inside it nest under it, so its self
    time is the time spent outside them. Costs one attribute check when nothing is profiling.

    Example:
        >>> with dagrad.autograd.profiler.profile() as prof:
        ...     with record_function("scale"):
        ...         y = dagrad.ones(3) * 2
        >>> [(e.name, e.cpu_parent and e.cpu_parent.name) for e in prof.function_events]
        [('scale', None), ('aten::mul', 'scale')]
    """

    def __init__(self, name: str, args: str | None = None) -> None:
        self.name = name
        self.args = args
        self._rec: list | None = None

    def _recreate_cm(self) -> record_function:
        # As a decorator, each call (recursive ones too) gets its own range.
        return record_function(self.name, self.args)

    def __enter__(self) -> Self:
        c = _ACTIVE
        if c is not None:
            self._rec = c.begin(self.name, _SCOPE_USER, [] if c.record_shapes else None)
        return self

    def __exit__(self, *exc: object) -> None:
        rec = self._rec
        if rec is not None:
            self._rec = None
            if _ACTIVE is not None:
                _ACTIVE.end(rec)


def is_profiler_enabled() -> bool:
    """True inside a running ``profile`` block."""
    return _ACTIVE is not None


def _step_range(name: str | None, previous: list | None) -> list | None:
    """Close ``previous`` (a ProfilerStep range) and open one called ``name``."""
    c = _ACTIVE
    if c is None:
        return None
    if previous is not None:
        c.end(previous)
    return c.begin(name, _SCOPE_USER) if name is not None else None


# --------------------------------------------------------------------- events (PyTorch's port)
class Interval:
    """A [start, end) range in microseconds."""

    def __init__(self, start: float, end: float) -> None:
        self.start = start
        self.end = end

    def elapsed_us(self) -> float:
        return self.end - self.start


def _format_time(time_us: float) -> str:
    """``6.907us``, ``6.907ms``, ``1.234s``: PyTorch's ``_format_time``."""
    us_in_second = 1000.0 * 1000.0
    us_in_ms = 1000.0
    if time_us >= us_in_second:
        return f"{time_us / us_in_second:.3f}s"
    if time_us >= us_in_ms:
        return f"{time_us / us_in_ms:.3f}ms"
    return f"{time_us:.3f}us"


def _format_time_share(time_us: float, total_time_us: float) -> str:
    """``50.04%`` of the total (``NaN`` when the total is 0)."""
    if total_time_us == 0:
        return "NaN"
    return f"{time_us * 100.0 / total_time_us:.2f}%"


def _format_memory(nbytes: int) -> str:
    """``960 B``, ``1.50 KB``, ``2.00 MB``, ``1.00 GB``."""
    kb = 1024
    mb = 1024 * kb
    gb = 1024 * mb
    if abs(nbytes) >= gb:
        return f"{nbytes * 1.0 / gb:.2f} GB"
    if abs(nbytes) >= mb:
        return f"{nbytes * 1.0 / mb:.2f} MB"
    if abs(nbytes) >= kb:
        return f"{nbytes * 1.0 / kb:.2f} KB"
    return str(nbytes) + " B"


class FormattedTimesMixin:
    """``cpu_time`` (the average) and the ``*_str`` formatted times of an event or average."""

    cpu_time_total: float
    count: int

    @property
    def cpu_time(self) -> float:
        return 0.0 if self.count == 0 else 1.0 * self.cpu_time_total / self.count

    @property
    def device_time(self) -> float:
        return 0.0

    @property
    def cpu_time_str(self) -> str:
        return _format_time(self.cpu_time)

    @property
    def cpu_time_total_str(self) -> str:
        return _format_time(self.cpu_time_total)

    @property
    def self_cpu_time_total_str(self) -> str:
        return _format_time(self.self_cpu_time_total)  # type: ignore[attr-defined]


class FunctionEvent(FormattedTimesMixin):
    """One recorded op call, backward node or ``record_function`` range.

    ``time_range`` is in microseconds from the start of the profile; ``cpu_children`` are the
    events directly nested in this one, ``cpu_parent`` the event it is nested in.
    """

    # dagrad has no device: device times and memory are always 0 (sort_by="cuda_time_total" works).
    device_time_total = 0
    self_device_time_total = 0
    device_memory_usage = 0
    self_device_memory_usage = 0
    device_type = "CPU"
    is_async = False
    is_remote = False
    is_legacy = False
    node_id = -1
    use_device = None
    flops = 0
    overload_name = ""

    def __init__(self, id: int, name: str, thread: int, start_us: float, end_us: float,
                 input_shapes: list | None = None, stack: list | None = None, scope: int = 0,
                 cpu_memory_usage: int = 0, sequence_nr: int = -1,
                 is_user_annotation: bool = False, trace_name: str | None = None) -> None:
        self.id = id
        self.name = name
        self.trace_name = trace_name if trace_name is not None else name
        self.thread = thread
        self.time_range = Interval(start_us, end_us)
        self.input_shapes = input_shapes if input_shapes is not None else []
        self.stack = stack if stack is not None else []
        self.scope = scope
        self.cpu_memory_usage = cpu_memory_usage
        self.sequence_nr = sequence_nr
        self.is_user_annotation = is_user_annotation
        self.count = 1
        self.cpu_children: list[FunctionEvent] = []
        self.cpu_parent: FunctionEvent | None = None

    @property
    def key(self) -> str:
        return self.name

    @property
    def cpu_time_total(self) -> float:
        return self.time_range.elapsed_us()

    @property
    def self_cpu_time_total(self) -> float:
        return self.cpu_time_total - sum(c.cpu_time_total for c in self.cpu_children)

    @property
    def self_cpu_memory_usage(self) -> int:
        return self.cpu_memory_usage - sum(c.cpu_memory_usage for c in self.cpu_children)

    def __repr__(self) -> str:
        return (f"<FunctionEvent id={self.id} name={self.name} cpu_time={self.cpu_time_str} "
                f"start_us={self.time_range.start:.3f} end_us={self.time_range.end:.3f} "
                f"cpu_children={[c.id for c in self.cpu_children]} thread={self.thread} "
                f"input_shapes={self.input_shapes} cpu_memory_usage={self.cpu_memory_usage} "
                f"seq_nr={self.sequence_nr}>")


class FunctionEventAvg(FormattedTimesMixin):
    """Totals of the events that share a key (a name; input shapes with group_by_input_shape)."""

    device_time_total = 0
    self_device_time_total = 0
    device_memory_usage = 0
    self_device_memory_usage = 0
    device_type = "CPU"
    use_device = None
    flops = 0

    def __init__(self) -> None:
        self.key: str | None = None
        self.count = 0
        self.node_id = 0
        self.is_async = False
        self.is_remote = False
        self.is_legacy = False
        self.is_user_annotation = False
        self.cpu_time_total = 0.0
        self.self_cpu_time_total = 0.0
        self.cpu_memory_usage = 0
        self.self_cpu_memory_usage = 0
        self.input_shapes: Any = None
        self.overload_name = ""
        self.stack: list | None = None
        self.scope: int | None = None
        self.cpu_children: list | None = None
        self.cpu_parent: Any = None

    def add(self, other: FunctionEvent | FunctionEventAvg) -> FunctionEventAvg:
        if self.key is None:
            # the first event added: take its descriptive fields
            self.key = other.key
            self.node_id = other.node_id
            self.is_async = other.is_async
            self.is_remote = other.is_remote
            self.cpu_parent = other.cpu_parent
            self.cpu_children = other.cpu_children
            self.input_shapes = other.input_shapes
            self.stack = other.stack
            self.scope = other.scope
            self.is_legacy = other.is_legacy
            self.is_user_annotation = other.is_user_annotation
        if not isinstance(other, (FunctionEvent, FunctionEventAvg)):
            raise TypeError(f"can only add a FunctionEvent or FunctionEventAvg, not "
                            f"{type(other).__name__}")
        if other.key != self.key:
            raise ValueError(f"cannot average events with different keys: {other.key!r} and "
                             f"{self.key!r}")
        self.cpu_time_total += other.cpu_time_total
        self.self_cpu_time_total += other.self_cpu_time_total
        self.cpu_memory_usage += other.cpu_memory_usage
        self.self_cpu_memory_usage += other.self_cpu_memory_usage
        self.count += other.count
        return self

    def __iadd__(self, other: FunctionEvent | FunctionEventAvg) -> Self:
        return self.add(other)

    def __repr__(self) -> str:
        return (f"<FunctionEventAvg key={self.key} self_cpu_time={self.self_cpu_time_total_str} "
                f"cpu_time={self.cpu_time_str} input_shapes={self.input_shapes} "
                f"cpu_memory_usage={self.cpu_memory_usage}>")


class EventList(list):
    """A list of FunctionEvents (or averages) that prints as PyTorch's table."""

    def __init__(self, *args: Any, profile_memory: bool = False, use_device: Any = None) -> None:
        super().__init__(*args)
        self._profile_memory = profile_memory
        self._use_device = None
        self._tree_built = False

    def __str__(self) -> str:
        return self.table()

    @property
    def self_cpu_time_total(self) -> float:
        """Sum of the events' self CPU times, in microseconds."""
        return sum(e.self_cpu_time_total for e in self)

    def table(self, sort_by: str | None = None, row_limit: int = 100,
              max_src_column_width: int = 75, max_name_column_width: int = 55,
              max_shapes_column_width: int = 80, header: str | None = None,
              top_level_events_only: bool = False, time_unit: str | None = None) -> str:
        """The events as PyTorch's text table.

        Args:
            sort_by: attribute to sort by, largest first (``self_cpu_time_total``,
                ``cpu_time_total``, ``cpu_time``, ``count``, ``cpu_memory_usage``,
                ``self_cpu_memory_usage``...); None keeps the recorded order.
            row_limit: at most this many rows.
            header: a line printed above the table.
            top_level_events_only: only events not nested in another.
            time_unit: ``"s"``, ``"ms"`` or ``"us"`` for every time, instead of the best fit.

        Returns:
            The table, ending with ``Self CPU time total: ...``.
        """
        return _build_table(
            self, sort_by=sort_by, header=header, row_limit=row_limit,
            max_src_column_width=max_src_column_width,
            max_name_column_width=max_name_column_width,
            max_shapes_column_width=max_shapes_column_width,
            profile_memory=self._profile_memory, top_level_events_only=top_level_events_only,
            time_unit=time_unit)

    def key_averages(self, group_by_input_shapes: bool = False,
                     group_by_stack_n: int = 0) -> EventList:
        """One FunctionEventAvg per name (and per input shapes / top ``n`` stack entries)."""
        stats: dict[tuple, FunctionEventAvg] = defaultdict(FunctionEventAvg)
        for evt in self:
            key = [str(evt.key), str(evt.node_id), str(evt.device_type), str(evt.is_legacy),
                   str(evt.is_user_annotation)]
            if group_by_input_shapes:
                key.append(str(evt.input_shapes))
            if group_by_stack_n > 0:
                key += evt.stack[:group_by_stack_n]
            stats[tuple(key)].add(evt)
        avg_list = EventList(stats.values(), profile_memory=self._profile_memory)
        for evt in avg_list:
            evt.stack = evt.stack[:group_by_stack_n]
            if not group_by_input_shapes:
                evt.input_shapes = ""
        avg_list._tree_built = True
        return avg_list

    def total_average(self) -> FunctionEventAvg:
        """One FunctionEventAvg (key ``"Total"``) that sums every event."""
        total = FunctionEventAvg()
        for evt in self:
            total += evt
            total.key = None
        total.key = "Total"
        return total

    def export_chrome_trace(self, path: str) -> None:
        """Write Chrome trace-event JSON: one complete (``"ph": "X"``) event per event.

        ``ts``/``dur`` are microseconds from the start of the profile; ``args`` hold the input
        shapes, the allocated bytes, the stack and the autograd sequence number when recorded.
        chrome://tracing and https://ui.perfetto.dev open the file.
        """
        pid = os.getpid()
        trace: list[dict] = [
            {"name": "process_name", "ph": "M", "pid": pid, "tid": 0, "args": {"name": "dagrad"}}]
        for tid in sorted({e.thread for e in self if isinstance(e, FunctionEvent)}):
            trace.append({"name": "thread_name", "ph": "M", "pid": pid, "tid": tid,
                          "args": {"name": f"thread {tid}"}})
        for evt in self:
            if not isinstance(evt, FunctionEvent):
                continue
            args: dict[str, Any] = {}
            if evt.input_shapes:
                args["Input Dims"] = evt.input_shapes
            if evt.sequence_nr >= 0:
                args["Sequence number"] = evt.sequence_nr
            if self._profile_memory:
                args["Allocated bytes"] = evt.cpu_memory_usage
            if evt.stack:
                args["Call stack"] = ";".join(evt.stack)
            cat = "user_annotation" if evt.is_user_annotation else "cpu_op"
            trace.append({"name": evt.trace_name, "cat": cat, "ph": "X",
                          "ts": round(evt.time_range.start, 3),
                          "dur": round(evt.time_range.elapsed_us(), 3),
                          "pid": pid, "tid": evt.thread, "args": args})
        with open(path, "w") as f:
            json.dump({"traceEvents": trace, "displayTimeUnit": "ms"}, f)

    def export_stacks(self, path: str, metric: str = "self_cpu_time_total") -> None:
        """Write one ``outer;...;inner value`` line per event with a stack (flame graphs)."""
        if metric not in ("self_cpu_time_total",):
            raise ValueError("metric should be one of: ['self_cpu_time_total']")
        table = str.maketrans(" ;\t\n", "____")
        with open(path, "w") as f:
            for evt in self:
                value = int(getattr(evt, metric))
                if evt.stack and value > 0:
                    frames = ";".join(e.translate(table) for e in reversed(evt.stack))
                    f.write(f"{frames} {value}\n")


def _build_table(events: EventList, sort_by: str | None = None, header: str | None = None,
                 row_limit: int = 100, max_src_column_width: int = 75,
                 max_name_column_width: int = 55, max_shapes_column_width: int = 80,
                 profile_memory: bool = False, top_level_events_only: bool = False,
                 time_unit: str | None = None) -> str:
    """PyTorch's ``_build_table``, CPU columns only (dagrad has no device)."""
    if len(events) == 0:
        return ""
    has_input_shapes = any(e.input_shapes is not None and len(e.input_shapes) > 0
                           for e in events)
    if sort_by is not None:
        attr = sort_by.replace("cuda", "device").replace("xpu", "device")
        events = EventList(sorted(events, key=lambda e: getattr(e, attr), reverse=True),
                           profile_memory=profile_memory)

    name_column_width = max(len(e.key) for e in events) + 4
    if max_name_column_width is not None:
        name_column_width = min(name_column_width, max_name_column_width)
    shapes_column_width = max(len(str(e.input_shapes)) for e in events) + 4
    if max_shapes_column_width is not None:
        shapes_column_width = min(shapes_column_width, max_shapes_column_width)
    default_column_width = 12

    src_column_width = None
    stacks = [e.stack for e in events if e.stack is not None and len(e.stack) > 0]
    has_stack = len(stacks) > 0
    if has_stack:
        src_column_width = max(max(len(entry) for entry in stack) for stack in stacks) + 4
        if max_src_column_width is not None:
            src_column_width = min(src_column_width, max_src_column_width)

    headers = ["Name", "Self CPU %", "Self CPU", "CPU total %", "CPU total", "CPU time avg"]
    if profile_memory:
        headers += ["CPU Mem", "Self CPU Mem"]
    headers.append("# of Calls")

    spacing = 2
    row_format = ""
    header_sep = ""
    line_length = -spacing

    def add_column(padding: int, text_dir: str = ">") -> None:
        nonlocal row_format, header_sep, line_length
        row_format += "{: " + text_dir + str(padding) + "}" + " " * spacing
        header_sep += "-" * padding + " " * spacing
        line_length += padding + spacing

    add_column(name_column_width)
    for _ in headers[1:]:
        add_column(default_column_width)
    if has_input_shapes:
        headers.append("Input Shapes")
        add_column(shapes_column_width)
    if has_stack:
        headers.append("Source Location")
        add_column(src_column_width, text_dir="<")

    result: list[str] = []

    def append(s: str) -> None:
        result.append(s)
        result.append("\n")     # PyTorch ends the last line with a newline too

    sum_self_cpu_time_total = sum(e.self_cpu_time_total for e in events)

    if header is not None:
        append("=" * line_length)
        append(header)
    if top_level_events_only:
        append("=" * line_length)
        append("This report only display top-level ops statistics")
    append(header_sep)
    append(row_format.format(*headers))
    append(header_sep)

    def trim_path(path: str, width: int) -> str:
        if len(path) > width:
            path = path[len(path) - width:]
            if len(path) > 3:
                path = "..." + path[3:]
        return path

    def fmt_time(time_us: float) -> str:
        if time_unit == "s":
            return f"{time_us / 1e6:.3f}s"
        if time_unit == "ms":
            return f"{time_us / 1e3:.3f}ms"
        if time_unit == "us":
            return f"{time_us:.3f}us"
        return _format_time(time_us)

    event_limit = 0
    for evt in events:
        if event_limit == row_limit:
            break
        if top_level_events_only and evt.cpu_parent is not None:
            continue
        event_limit += 1
        name = evt.key
        if max_name_column_width is not None and len(name) >= max_name_column_width - 3:
            name = name[:max_name_column_width - 3] + "..."
        row_values = [
            name,
            _format_time_share(evt.self_cpu_time_total, sum_self_cpu_time_total),
            fmt_time(evt.self_cpu_time_total),
            _format_time_share(evt.cpu_time_total, sum_self_cpu_time_total),
            fmt_time(evt.cpu_time_total),
            fmt_time(evt.cpu_time),
        ]
        if profile_memory:
            row_values += [_format_memory(evt.cpu_memory_usage),
                           _format_memory(evt.self_cpu_memory_usage)]
        row_values.append(evt.count)
        if has_input_shapes:
            row_values.append(str(evt.input_shapes)[:shapes_column_width])
        if has_stack:
            row_values.append(trim_path(evt.stack[0], src_column_width)
                              if len(evt.stack) > 0 else "")
        append(row_format.format(*row_values))
        if has_stack:
            empty = [""] * (len(headers) - 1)
            for entry in evt.stack[1:]:
                append(row_format.format(*(empty + [trim_path(entry, src_column_width)])))
            append(row_format.format(*(empty + [""])))

    append(header_sep)
    append(f"Self CPU time total: {fmt_time(sum_self_cpu_time_total)}")
    return "".join(result)


__all__ = [
    "EventList",
    "FunctionEvent",
    "FunctionEventAvg",
    "Interval",
    "aten_name",
    "is_profiler_enabled",
    "profile",
    "record_function",
]
