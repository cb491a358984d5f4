"""``defop``: declare an op once — NumPy kernel, PyTorch node name, one derivative formula per input.

    @defop(node="MulBackward0", promote="common", grads={
        "self": lambda grad, other: grad * other,
        "other": lambda grad, self: grad * self,
    })
    def mul(self, other):
        return np.multiply(self, other)

An op may also give ``np_grads=``: the same formulas over NumPy arrays, for the plain first-order
backward (Note [Array-level formulas]).

The kernel receives NumPy arrays (and Python scalars) in place of Tensors. A formula names what it
needs by its parameter names: ``grad`` (the output gradient; ``grads`` for a list over several
outputs), ``result`` (the output), any forward argument by name (a Tensor arrives as a Tensor),
or ``<arg>_shape`` (only the shape is saved, never the data). The registry saves exactly those
values, and only for inputs that require grad. Formulas are written in dagrad ops, so the
engine can run them with grad mode on for ``create_graph=True``.

Promotion modes (``promote=``): ``"common"`` casts tensor and scalar operands to PyTorch's common
dtype; ``"float"`` does the same and then turns integer/bool results into the default float dtype
(``div``, ``exp``, ``sin``...). ``None`` leaves dtypes to the kernel.
"""
from __future__ import annotations

import inspect
import weakref
from operator import itemgetter
from types import MethodType
from typing import Any, Callable

import numpy as np

from dagrad import _dtypes
from dagrad import _tensor as _tensor_mod
from dagrad._npquiet import QUIET
from dagrad._tensor import Tensor
from dagrad.autograd.grad_mode import STATE
from dagrad import _errors
from dagrad.autograd.graph import (Released, SavedTensor, accumulator, new_node as _new_node, node_class,
                                   record_forward_stack, user_site)

_OPS: dict[str, Op] = {}
_py_float, _py_int, _py_bool, _py_complex = float, int, bool, complex
_ndarray = np.ndarray
_asarray = np.asarray


class _Formula:
    __slots__ = ("fn", "args")

    def __init__(self, fn: Callable) -> None:
        self.fn = fn
        self.args = tuple(inspect.signature(fn).parameters)


class Op:
    """A registered op: call it like the PyTorch function it copies."""

    def __init__(self, kernel: Callable, name: str, node: str | Callable | None, grads: dict,
                 promote: str | None, view: bool, tensors: tuple, lists: tuple,
                 outputs: int, nondiff_outputs: tuple, returns: Any,
                 multi_view: bool, promote_params: tuple | None = None,
                 keep_scalars: tuple = (), np_grads: dict | None = None) -> None:
        self.kernel = kernel
        self.name = name
        self.__name__ = name
        self.__doc__ = kernel.__doc__
        self.__wrapped__ = kernel
        sig = inspect.signature(kernel)
        self.__signature__ = sig
        self.params = tuple(sig.parameters)
        self.nparams = len(self.params)
        self.index = {p: i for i, p in enumerate(self.params)}
        self.defaults = tuple(
            p.default if p.default is not inspect.Parameter.empty else _MISSING
            for p in sig.parameters.values())
        # defaults to append when called positionally with the first n arguments
        self.tails = {n: self.defaults[n:] for n in range(self.nparams)
                      if all(d is not _MISSING for d in self.defaults[n:])}
        self.kw_plans: dict = {}
        # PyTorch's functions name their first tensor `input`; the registry's kernels say `self`
        self.input_index = 0 if self.params[:1] == ("self",) and "input" not in self.params \
            else None
        self.var_positional = any(p.kind is inspect.Parameter.VAR_POSITIONAL
                                  for p in sig.parameters.values())
        self.formulas = {k: _Formula(v) for k, v in (grads or {}).items()}
        self.diff_params = tuple(p for p in self.params if p in self.formulas)
        self.diff_pos = tuple(self.index[p] for p in self.diff_params)
        self.lists = frozenset(lists)
        self.list_pos = frozenset(self.index[p] for p in lists)
        tensor_params = set(self.diff_params) | set(tensors)
        self.tensor_pos = tuple(i for i, p in enumerate(self.params) if p in tensor_params)
        self.promote = promote
        pp = promote_params if promote_params is not None else tensor_params
        self.promote_pos = tuple(i for i, p in enumerate(self.params) if p in pp)
        self.view = view
        self.multi_view = multi_view
        self.outputs = outputs
        self.nondiff_outputs = frozenset(nondiff_outputs)
        self.returns = returns
        self.differentiable = bool(self.formulas)
        # What each differentiable input's formula needs saved.
        self.saves_for = {}
        for p, f in self.formulas.items():
            self.saves_for[p] = tuple(a for a in f.args if a not in ("grad", "grads"))
        self.all_saves = frozenset(a for v in self.saves_for.values() for a in v)
        # Note [Released saved values]: after a backward without retain_graph a node keeps its
        # non-tensor values (dims, alpha, shapes); tensors — and Python numbers standing for a
        # tensor operand, which PyTorch wraps — are freed, except arguments PyTorch types as
        # Scalars (`keep_scalars`, e.g. pow's exponent).
        self.tensor_param_names = frozenset(self.params[i] for i in self.tensor_pos)
        self.keep_after_release = (
            frozenset(a for a in self.all_saves if a != "result" and a not in
                      self.tensor_param_names and a not in self.lists),
            frozenset(keep_scalars))
        # what _release may keep (keys of the first set, and of the second unless a SavedTensor),
        # in the order they are saved
        self.release_keys = tuple(dict.fromkeys(
            a for p in self.diff_params for a in self.saves_for[p]
            if a in self.keep_after_release[0] or a in self.keep_after_release[1]))
        self.diff_formulas = tuple((p, self.formulas[p]) for p in self.diff_params)
        self.np_plan = self._np_plan(np_grads) if np_grads else None
        self.np_unary = self.np_plan is not None and len(self.np_plan) == 1
        if self.np_plan is not None:
            self.np_apply_quiet = _compile_np_apply(self)
        # (position, saves) per differentiable non-list input, for _record's fast path
        self.simple_diff = tuple((self.index[p], tuple(self._save_plan(a) for a in
                                                       self.saves_for[p]))
                                 for p in self.diff_params)
        self.node_classes: dict[str, type] = {}
        # the compiled `_record` (Note [Compiled recording]): `record(vals, result)` where the
        # node's class is fixed, `record_cls(vals, result, cls)` for every op it applies to
        self.record = self.record_cls = None
        if node is None:
            self.node_name = None
        elif isinstance(node, str):
            self.node_name = node
            self.node_cls = node_class(node, self, outputs)
        else:
            self.node_name = node
        if node is not None and outputs == 1 and not self.lists and self.differentiable:
            self.record_cls = _compile_record(self)
            if isinstance(node, str):
                self.record = self.record_cls
        _OPS[name] = self

    def __repr__(self) -> str:
        return f"<dagrad op {self.name}>"

    def _np_plan(self, np_grads: dict) -> tuple:
        """(formula, argument getter, one argument?) per differentiable input, in order."""
        if self.lists or self.outputs != 1 or set(np_grads) != set(self.diff_params):
            raise TypeError(f"defop {self.name}: np_grads needs one formula per differentiable "
                            "input, and a single output and no list arguments")
        plan = []
        self.np_args: list = []
        for p in self.diff_params:
            fn = np_grads[p]
            args = tuple(inspect.signature(fn).parameters)
            if not set(args) <= set(self.formulas[p].args):
                raise TypeError(f"defop {self.name}: np_grads['{p}'] names an argument its "
                                "grads formula does not")
            plan.append((fn, itemgetter(*args), len(args) == 1))
            self.np_args.append(args)
        return tuple(plan)

    def _save_plan(self, a: str) -> tuple:
        """(name, kind, position): kind 0 = forward argument, 1 = the output, 2 = a shape."""
        if a == "result":
            return (a, 1, -1)
        if a in self.index:
            return (a, 0, self.index[a])
        if a.endswith("_shape") and a[:-6] in self.index:
            return (a, 2, self.index[a[:-6]])
        raise TypeError(f"defop {self.name}: a formula names '{a}', which is neither an "
                        "argument, 'result', '<argument>_shape', 'grad' nor 'grads'")

    def __get__(self, obj: Any, objtype: Any = None) -> Any:
        # Ops are Tensor methods too: `x.exp()` is `exp(x)`.
        return self if obj is None else MethodType(self, obj)

    # ----------------------------------------------------------------- forward
    def _bind(self, args: tuple, kwargs: dict) -> list:
        n = len(args)
        if n > self.nparams:
            raise TypeError(f"{self.name}() takes {self.nparams} positional arguments but {n} "
                            "were given")
        vals = list(args) + list(self.defaults[n:])
        for k, v in kwargs.items():
            i = self.index.get(k)
            if i is None and k == "input":
                i = self.input_index            # torch.add(input=x, ...): `input` names `self`
            if i is None:
                raise TypeError(f"{self.name}() got an unexpected keyword argument '{k}'")
            if i < n:
                raise TypeError(f"{self.name}() got multiple values for argument '{k}'")
            vals[i] = v
        for i, v in enumerate(vals):
            if v is _MISSING:
                raise TypeError(f"{self.name}() missing required argument: '{self.params[i]}'")
        return vals

    def node_class_named(self, n: str) -> type:
        """The node class called ``n`` for this op (whose node name depends on the call)."""
        cls = self.node_classes.get(n)
        if cls is None:
            cls = self.node_classes[n] = node_class(n, self, self.outputs)
        return cls

    def _kw_plan(self, n: int, keys: tuple) -> tuple | None:
        """For a call with ``n`` positional arguments and keywords ``keys`` that binds: the
        defaults to append and the position of each keyword (cached per op by ``__call__``)."""
        idx = tuple(self.index.get(k, self.input_index if k == "input" else None) for k in keys)
        if None in idx:
            return None
        if n > self.nparams or any(i < n for i in idx):
            return None
        given = set(range(n)) | set(idx)
        if any(d is _MISSING and i not in given for i, d in enumerate(self.defaults)):
            return None
        return (self.defaults[n:], idx)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if kwargs:
            key = (len(args), *kwargs)
            plan = self.kw_plans.get(key, _MISSING)
            if plan is _MISSING:
                plan = self._kw_plan(len(args), key[1:])
                if len(self.kw_plans) < 64:
                    self.kw_plans[key] = plan
            if plan is None:
                vals = self._bind(args, kwargs)       # raises Python's TypeError
            else:
                vals = list(args)
                vals += plan[0]
                for i, v in zip(plan[1], kwargs.values()):
                    vals[i] = v
        elif len(args) != self.nparams:
            tail = self.tails.get(len(args))
            vals = args + tail if tail is not None else self._bind(args, kwargs)
        else:
            vals = args
        arrays = list(vals)
        need = False
        for i in self.tensor_pos:
            v = arrays[i]
            if type(v) is Tensor or isinstance(v, Tensor):
                arrays[i] = v._data
                if v._rg:
                    need = True
            elif i in self.list_pos:
                v = tuple(v)
                vals = tuple(vals[:i]) + (v,) + tuple(vals[i + 1:])
                arrays[i] = tuple(_unwrap_elem(e) for e in v)
                for e in v:
                    if isinstance(e, Tensor) and e._rg:
                        need = True
        if self.promote is not None:
            _promote(self, vals, arrays)
        try:
            out = self.kernel(*arrays)
        except ValueError as e:
            raise _translate_value_error(self, arrays, e) from None
        if self.outputs == 1:
            if type(out) is not _ndarray:
                out = _asarray(out)
            result = Tensor._make(out)
            if self.view:
                _make_view(vals[0], result)
            if need and STATE.grad and self.differentiable:
                _record(self, vals, (result,))
            elif STATE.inference:
                result._mark_inference()
            return result
        results = tuple(Tensor._make(o if type(o) is _ndarray else _asarray(o)) for o in out)
        if self.view:
            for r in results:
                _make_view(vals[0], r, self.multi_view)
        if need and STATE.grad and self.differentiable:
            _record(self, vals, results)
        if self.returns is not None:
            return self.returns(*results)
        return results

    # ---------------------------------------------------------------- backward
    def backward(self, node: Any, grads: list) -> list:
        saved = node._saved
        if saved is False:
            raise RuntimeError(_errors.BACKWARD_TWICE)
        if self.outputs == 1:
            g = grads[0]
            gs = None
        else:
            gs = list(grads)
            for i, gi in enumerate(gs):
                if gi is None:
                    shape, dtype = node._extra["out_meta"][i]
                    gs[i] = Tensor._make(np.zeros(shape, dtype))
            g = gs[0]
        cache = {}
        out = []
        layout = node._extra["layout"] if self.lists else None
        edges = node._fns
        j = 0
        for p, f in self.diff_formulas:
            if layout is not None and p in layout:
                n = layout[p]
                sub = edges[j:j + n]
                if any(e is not None for e in sub):
                    res = f.fn(*[_arg(a, g, gs, saved, cache, node) for a in f.args])
                    out.extend(r if e is not None else None
                               for r, e in zip(res, sub, strict=True))
                else:
                    out.extend([None] * n)
                j += n
                continue
            if edges[j] is None:
                out.append(None)
            else:
                out.append(f.fn(*[_arg(a, g, gs, saved, cache, node) for a in f.args]))
            j += 1
        return out

    def np_backward(self, node: Any, grads: list) -> list | None:
        """The array-level backward (Note [Array-level formulas]): the validated input
        gradients, or None where the dagrad formulas must run."""
        st = STATE
        if st.inference or st.anomaly or node._hk is not None or not _tensor_mod.FAST_PATH or \
                not NP_GRADS:
            return None
        return self.np_apply(node, grads)

    def np_apply(self, node: Any, grads: list) -> list | None:
        """``np_backward`` once the caller has checked the modes that hold for a whole backward
        (the engine: no inference/anomaly mode, profiler or forward AD; NP_GRADS) and that
        ``node`` has no hooks."""
        token = _quiet_set(_QUIET_STATE) if _quiet_set is not None else None
        if token is None:
            QUIET.__enter__()
        try:
            return self.np_apply_quiet(node, grads)
        finally:
            if token is None:
                QUIET.__exit__()
            else:
                _quiet_reset(token)

    def np_apply_quiet(self, node: Any, grads: list) -> list | None:
        """``np_apply`` for a caller that has switched NumPy's warnings off already (the engine,
        once for a run of nodes with array-level formulas: Note [One errstate switch]). An op
        with array-level formulas replaces this with its compiled version (Note [Compiled array
        formulas]); without them there is nothing to apply."""
        return None


# Note [Array-level formulas]
# The dagrad formulas (``grads=``) are what create_graph needs, but a plain first-order backward
# runs them with grad mode off, where each op still pays for a Tensor, a registry call or the
# operator fast path, and an errstate switch: several times the NumPy arithmetic on small
# tensors. ``np_grads=`` gives the same formulas over NumPy arrays and Python scalars (same
# argument names; a saved tensor arrives as its array); the engine tries them first through
# the op's compiled ``np_apply_quiet`` (Note [Compiled array formulas]; ``np_backward`` less the
# checks the engine makes once per backward), under the engine's one errstate switch (Note [One
# errstate switch]), wrapping each result once. They are used only when
# nothing could tell the difference:
# - grad mode is off (not create_graph), no inference/anomaly mode, no profiler or forward AD
#   (``_tensor.FAST_PATH``), no hooks on the node, the node's saved values not yet released;
# - the gradient is a plain Tensor; it and every saved tensor are float16/32/64 of one dtype, and
#   no saved-tensor hooks are in play (the version check still runs, with unpack's error);
# - a Python number standing for a tensor operand is an int or float (NEP 50 then promotes as
#   PyTorch does); a formula returns NotImplemented for any other case it leaves to dagrad.
# Each must do exactly the dagrad formula's NumPy calls in the same order, so results are
# bit-identical (tests/test_np_formulas.py checks every op both ways); where the dagrad formula
# goes through an operator, follow what that operator does (``2 * t`` is ``np.multiply(t, 2)``,
# ``2 / t`` is ``reciprocal(t) * 2``); a Python number operand is told from tensor data by its
# type (int or float). Returning ``grad`` itself keeps the incoming Tensor; a returned view (of an
# op with one input only) must be a view of ``grad`` and is marked as one, as the dagrad
# ``expand`` does. Results the engine must sum to shape or cast go through its ``_validate``; a
# NumPy error (operands that do not broadcast) leaves the node to the dagrad formulas.
NP_GRADS = True     # off: always the dagrad formulas (the tests compare both)
_F16, _F32, _F64 = np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64)
_SavedTensor = SavedTensor
_make = Tensor._make
_new = object.__new__
from dagrad._npquiet import IGNORE as _QUIET_STATE  # noqa: E402
from dagrad._npquiet import quiet_reset as _quiet_reset, quiet_set as _quiet_set  # noqa: E402

# Tensor subclasses (nn.Parameter) whose operators are Tensor's: a formula treats them alike.
_PLAIN: dict = {}
_OPERATORS = ("__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__",
              "__truediv__", "__rtruediv__", "__neg__", "__pow__", "__rpow__", "__gt__",
              "__lt__", "__eq__", "__ge__", "__le__", "expand", "reshape", "unsqueeze", "sum")


# Note [Compiled array formulas]
# Applying an op's array-level formulas means: the modes and the gradient's dtype checked; each
# saved value checked (saved-tensor hooks, version, dtype; a Python number standing for a tensor
# operand must be an int or float) and unpacked; each formula called on its arguments; each result
# wrapped once and checked against its input's shape and dtype (else the engine's _validate sums
# or casts it). Done generically (a dict of arguments, an itemgetter per formula) that costs more
# than the arithmetic on a 0-dim tensor, so each op gets the same steps written out for its own
# saved names and formula arguments, compiled once when the op is declared.
_MISSING_SAVED = object()


def _validate_late(node: Any, out: list) -> list:
    from dagrad.autograd.engine import _validate
    return _validate(node, out)


def _compile_np_apply(op: Op) -> Any:
    keys = tuple(dict.fromkeys(a for p in op.diff_params for a in op.saves_for[p]))
    local = {k: f"a{i}" for i, k in enumerate(keys)}
    local["grad"] = "ga"
    lines = [
        "def np_apply_quiet(node, grads):",
        "    if STATE.grad: return None",
        "    saved = node._saved",
        "    if type(saved) is not dict: return None",
        "    g = grads[0]",
        "    if type(g) is not Tensor: return None",
        "    ga = g._data",
        "    dt = ga.dtype",
        "    if dt is not F32 and dt is not F64 and dt is not F16: return None",
    ]
    for k in keys:
        a = local[k]
        lines += [
            f"    v = saved.get({k!r}, MISSING)",
            f"    if v is MISSING: {a} = MISSING",
            "    elif type(v) is SavedTensor:",
            "        if v.hooks is not None: return None",
            "        if v.vc.v != v.version: v._raise_version(node)",
            "        t = v.tensor",
            f"        if t is None: {a} = v.data",
            f"        elif type(t) is Tensor or plain_subclass(type(t)): {a} = t._data",
            "        else: return None",
            f"        if {a}.dtype is not dt: return None",
        ]
        if k in op.tensor_param_names:
            lines.append("    elif type(v) is not float and type(v) is not int and v is not None: "
                         "return None")
        lines.append(f"    else: {a} = v")
    env = {"STATE": STATE, "Tensor": Tensor, "F16": _F16, "F32": _F32, "F64": _F64,
           "MISSING": _MISSING_SAVED, "SavedTensor": _SavedTensor, "ndarray": _ndarray,
           "asarray": _asarray, "make": _make, "new": _new, "make_view": _make_view,
           "plain_subclass": _plain_subclass, "validate": _validate_late}

    def call(j: int, ind: str) -> list:
        names = [local[n] for n in op.np_args[j]]
        env[f"f{j}"] = op.np_plan[j][0]
        missing = [n for n in names if n != "ga"]
        out = [f"{ind}if {' or '.join(n + ' is MISSING' for n in missing)}: return None"] \
            if missing else []
        return out + [f"{ind}r = f{j}({', '.join(names)})"]
    lines.append("    try:")
    if op.np_unary:
        lines += call(0, "        ")
        lines += [
            "        if r is ga: t = g",
            "        else:",
            "            if type(r) is not ndarray:",
            "                if r is NotImplemented: return None",
            "                r = asarray(r)",
            "            t = make(r)",
            "            if r.base is not None: make_view(g, t)",   # a view of grad (expand)
            "        m = node._meta[0]",
            "        out = [t]",
            "        ok = r.shape == m[0] and r.dtype is m[1]",
        ]
    else:
        lines += ["        nf = node._fns", "        meta = node._meta",
                  "        out = []", "        ok = True"]
        for j in range(len(op.np_plan)):
            lines += [f"        if nf[{j}] is None: out.append(None)", "        else:"]
            lines += call(j, "            ")
            lines += [
                "            if r is ga: out.append(g)",
                "            else:",
                "                if type(r) is not ndarray:",
                "                    if r is NotImplemented: return None",
                "                    r = asarray(r)",
                "                t = new(Tensor)",
                "                t._data = r",
                "                t._rg = False",
                "                t.grad_fn = None",
                "                t._out_nr = 0",
                "                t._grad = t._vc = t._base = t._acc = t._extra = None",
                "                out.append(t)",
                f"            m = meta[{j}]",
                "            if r.shape != m[0] or r.dtype is not m[1]: ok = False",
            ]
    lines += [
        "    except (ValueError, OverflowError):",
        "        return None",
        "    if ok: return out",
        "    return validate(node, out)",
    ]
    exec(compile("\n".join(lines), f"<np_apply {op.name}>", "exec"), env)  # noqa: S102
    return env["np_apply_quiet"]


def _plain_subclass(tp: type) -> bool:
    ok = _PLAIN.get(tp)
    if ok is None:
        ok = _PLAIN[tp] = issubclass(tp, Tensor) and all(
            getattr(tp, n, None) is getattr(Tensor, n) for n in _OPERATORS + ("_data",))
    return ok


def _arg(name: str, g: Any, gs: Any, saved: dict, cache: dict, node: Any) -> Any:
    """One formula argument: the gradient(s), or a saved value (unpacked once per backward)."""
    if name == "grad":
        return g
    if name == "grads":
        return gs
    v = cache.get(name, _MISSING)
    if v is _MISSING:
        v = saved.get(name, _MISSING)
        if v is _MISSING:
            if type(saved) is Released:        # freed by an earlier backward
                raise RuntimeError(_errors.BACKWARD_TWICE)
            raise KeyError(name)
        if type(v) is SavedTensor:
            v = v.unpack(node)
        elif type(v) is tuple and v and type(v[0]) is SavedTensor:
            v = tuple(s.unpack(node) for s in v)
        cache[name] = v
    return v


def _translate_value_error(op: Op, arrays: list, err: ValueError) -> Exception:
    """NumPy's broadcasting ValueError -> PyTorch's RuntimeError text."""
    msg = str(err)
    if "broadcast" not in msg:
        return err
    shapes = [a.shape for a in (arrays[i] for i in op.tensor_pos) if type(a) is _ndarray]
    if len(shapes) < 2:
        return RuntimeError(msg)
    a, b = shapes[0], shapes[1]
    if len(shapes) > 2:
        try:
            np.broadcast_shapes(a, b)
            a, b = np.broadcast_shapes(a, b), shapes[2]
        except ValueError:
            pass
    from dagrad import _errors
    n = max(len(a), len(b))
    for i in range(n - 1, -1, -1):
        off = n - 1 - i
        sa = a[len(a) - 1 - off] if off < len(a) else 1
        sb = b[len(b) - 1 - off] if off < len(b) else 1
        if sa != sb and sa != 1 and sb != 1:
            return RuntimeError(_errors.BROADCAST.format(a=sa, b=sb, dim=i))
    return RuntimeError(msg)


class _Missing:
    def __repr__(self) -> str:
        return "<required>"


_MISSING = _Missing()


def _unwrap_elem(e: Any) -> Any:
    return e._data if isinstance(e, Tensor) else e


def _promote(op: Op, vals: list, arrays: list) -> None:
    """Cast the operands of ``op`` to PyTorch's result dtype (Note [Type promotion])."""
    first = None
    same = True
    has_scalar = False
    for i in op.promote_pos:
        v = vals[i]
        if isinstance(v, Tensor):
            d = v._data.dtype
            if first is None:
                first = d
            elif d != first:
                same = False
        elif v is not None and not isinstance(v, (tuple, list)):
            has_scalar = True
    if first is None:
        return
    if same and has_scalar:
        # a Python float with a float tensor, an int with an int tensor: tensor dtype wins
        k = first.kind
        if k in "iu":
            _wrap_int_scalars(op, vals, arrays, first)
        for i in op.promote_pos:
            v = vals[i]
            if v is None or isinstance(v, Tensor):
                continue
            tv = type(v)
            if tv is _py_bool or (tv is _py_int and k != "b") or (tv is _py_float and k in "fc"):
                continue
            same = False
            break
    if same:
        target = first
    else:
        dim, zero, scalars = [], [], []
        for i in op.promote_pos:
            v = vals[i]
            if isinstance(v, Tensor):
                (dim if v._data.ndim else zero).append(_dtypes.from_numpy_dtype(v._data.dtype))
            elif v is not None and not isinstance(v, (tuple, list)):
                scalars.append(v)
        target = _dtypes.result_type(dim, zero, scalars).np
    if op.promote == "float" and target.kind in "biu":
        target = _dtypes.get_default_dtype().np
    if same and target == first:
        return
    for i in op.promote_pos:
        a = arrays[i]
        if type(a) is _ndarray:
            if a.dtype != target:
                arrays[i] = a.astype(target)
        elif a is not None and not isinstance(a, (tuple, list)):
            # a Python scalar: make it the target type so NumPy computes in that precision
            arrays[i] = target.type(a)


def _wrap_int_scalars(op: Op, vals: Any, arrays: list, dt: np.dtype) -> None:
    """An out-of-range Python int becomes the tensor's integer type by wrapping around, as
    PyTorch does (`uint8 tensor + (-1)`); NumPy would raise OverflowError."""
    info = np.iinfo(dt)
    for i in op.promote_pos:
        v = arrays[i]
        if type(v) is int and not info.min <= v <= info.max:
            arrays[i] = np.array(v).astype(np.int64).astype(dt)


def _make_view(base: Any, out: Tensor, multi: bool = False) -> None:
    """Mark ``out`` as a view of ``base`` when NumPy returned a view (shares the version counter)."""
    if not isinstance(base, Tensor):
        return
    arr = out._data
    if arr.base is None:
        return
    vc = base._vc
    if vc is None:
        from dagrad.autograd.graph import VersionCounter
        vc = base._vc = VersionCounter()
    out._vc = vc
    root = base._base if base._base is not None else base
    out._base = root
    ex = out._extras()
    if not STATE.grad:
        ex["view_no_grad"] = True
    elif root._rg or base._rg:
        # so an in-place change through another view can re-point this one (ops/inplace.py)
        root._extras().setdefault("views", []).append(weakref.ref(out))
    if multi:
        ex["multi_view"] = True


def _record(op: Op, vals: Any, results: tuple) -> None:
    """Create the graph node for one op call and connect ``results`` to it."""
    rec = op.record
    if rec is not None:
        rec(vals, results[0])
        return
    name = op.node_name
    cls = op.node_class_named(name(*vals)) if callable(name) else op.node_cls
    rec = op.record_cls
    if rec is not None:
        rec(vals, results[0], cls)
        return
    node = _new_node(cls)
    if op.lists or op.outputs != 1:
        # outputs learn their position first, so a saved `result` unpacks as the right output
        nondiff = op.nondiff_outputs
        for i, r in enumerate(results):
            r._out_nr = i
            if i in nondiff:
                r._extras()["nondiff_output"] = True
        edges, meta, saved = _record_general(op, vals, results, node)
        node._site = user_site(3)
    else:
        # the common case, kept tight: one output, no list arguments
        edges = []
        meta = []
        saved = {}
        for i, saves in op.simple_diff:
            v = vals[i]
            if type(v) is Tensor or isinstance(v, Tensor):
                if v._rg:
                    fn = v.grad_fn
                    edges.append((fn, v._out_nr) if fn is not None else (accumulator(v), 0))
                    d = v._data
                    meta.append((d.shape, d.dtype))
                    for key, kind, j in saves:
                        if key in saved:
                            continue
                        if kind == 0:                       # a forward argument
                            w = vals[j]
                            if isinstance(w, Tensor):
                                saved[key] = SavedTensor(w)
                                if node._site is None:      # Note [Source sites]
                                    node._site = user_site(3)
                            else:
                                saved[key] = w
                        elif kind == 1:                     # the output
                            saved[key] = SavedTensor(results[0], True)
                            if node._site is None:
                                node._site = user_site(3)
                        else:                               # `<arg>_shape`
                            w = vals[j]
                            saved[key] = w._data.shape if isinstance(w, Tensor) else np.shape(w)
                    continue
            edges.append((None, 0))
            meta.append(None)
        node.next_functions = tuple(edges)
        node._meta = tuple(meta)
        node._saved = saved
        if STATE.anomaly:
            record_forward_stack(node)
        r = results[0]
        r.grad_fn = node
        r._rg = True
        r._out_nr = 0
        return
    node.next_functions = tuple(edges)
    node._meta = tuple(meta)
    node._saved = saved
    if STATE.anomaly:
        record_forward_stack(node)
    nondiff = op.nondiff_outputs
    for i, r in enumerate(results):
        if i in nondiff:
            continue
        r.grad_fn = node
        r._rg = True
        r._out_nr = i


def _save(op: Op, a: str, vals: Any, results: tuple) -> Any:
    if a == "result":
        if op.outputs == 1:
            return SavedTensor(results[0], True)
        return tuple(SavedTensor(r, True) for r in results)
    i = op.index.get(a)
    if i is None:       # `<arg>_shape`
        v = vals[op.index[a[:-6]]]
        return tuple(v._data.shape) if isinstance(v, Tensor) else np.shape(v)
    v = vals[i]
    if isinstance(v, Tensor):
        return SavedTensor(v)
    return v


# Note [Compiled recording]
# ``_record``'s common case (a node class named by a string, one output, no list arguments) is a
# loop over the differentiable inputs and, for each, over the values its formula saves. On a
# 0-dim tensor that loop cost more than the arithmetic and the node together, so each such op gets
# the same steps written out for its own inputs and saved names, compiled once when the op is
# declared (as Note [Compiled array formulas] does for the backward). The node, its edges, its
# metadata, its saved values (in the same order) and its source site are exactly the loop's;
# tests/test_graph_records.py compares the two for every op in the op database.
# Note [Fewer tracked objects]
# Every container a node keeps (tuples included) is tracked by Python's cyclic garbage collector,
# and a graph that grows by ~10 such objects per op sets off collections that scan it again and
# again: on B6's 10,000 scalar ops, a sixth of the forward's time went to the collector (PyTorch's
# nodes are C++ objects it never sees). So a node keeps its edges as one tuple of nodes and one
# of input numbers instead of a (node, nr) pair per edge (``Node.next_functions`` builds the pairs
# on access, as PyTorch builds a new tuple on each access), and the values that repeat are
# shared: the input numbers and ``_meta`` (the (shape, dtype) of each input) are one tuple per
# distinct value, a source site one tuple per (file, line) (``graph.user_site``). Each cache stops
# growing at 4,096 entries (later values are simply not shared); all are immutable tuples of
# immutable values, so sharing cannot be observed. Measured on B6 (python -m bench --only B6):
# the forward went from 5.5 to 4.0 us per op with the _meta and site sharing alone.
_META: dict = {}       # a node's ((shape, dtype), ...) of its inputs


def _compile_record(op: Op) -> Any:
    from dagrad.autograd import graph as _graph
    lines = [
        "def record(vals, r, cls=CLS):",
        "    node = new(cls)",
        "    node._seq = next(seq)",
        "    node._hk = node._extra = node._site = None",
        "    saved = {}",
    ]
    edges, metas = [], []
    for k, (i, saves) in enumerate(op.simple_diff):
        lines += [
            f"    v = vals[{i}]",
            "    if (type(v) is Tensor or isinstance(v, Tensor)) and v._rg:",
            "        fn = v.grad_fn",
            "        if fn is None:",
            f"            f{k} = accumulator(v)",
            f"            n{k} = 0",
            "        else:",
            f"            f{k} = fn",
            f"            n{k} = v._out_nr",
            "        d = v._data",
            f"        m{k} = (d.shape, d.dtype)",
        ]
        for key, kind, j in saves:
            ind = "        "
            if any(key in [a for a, _, _ in s2] for _, s2 in op.simple_diff[:k]):
                lines.append(f"        if {key!r} not in saved:")
                ind += "    "
            if kind == 0:
                lines += [
                    f"{ind}w = vals[{j}]",
                    f"{ind}if isinstance(w, Tensor):",
                    f"{ind}    saved[{key!r}] = SavedTensor(w)",
                    f"{ind}    if node._site is None: node._site = user_site(4)",
                    f"{ind}else: saved[{key!r}] = w",
                ]
            elif kind == 1:
                lines += [
                    f"{ind}saved[{key!r}] = SavedTensor(r, True)",
                    f"{ind}if node._site is None: node._site = user_site(4)",
                ]
            else:
                lines += [
                    f"{ind}w = vals[{j}]",
                    f"{ind}saved[{key!r}] = w._data.shape if isinstance(w, Tensor) else "
                    "np_shape(w)",
                ]
        lines += ["    else:", f"        f{k} = None", f"        n{k} = 0", f"        m{k} = None"]
        edges.append(k)
        metas.append(f"m{k}")
    lines += [
        f"    node._fns = ({', '.join(f'f{k}' for k in edges)},)",
        f"    m = ({', '.join(f'n{k}' for k in edges)},)",
        "    node._nrs = NRS.get(m) or interned(NRS, m)",
        f"    m = ({', '.join(metas)},)",
        "    node._meta = META.get(m) or interned(META, m)",
        "    node._saved = saved",
        "    if STATE.anomaly: record_forward_stack(node)",
        "    r.grad_fn = node",
        "    r._rg = True",
        "    r._out_nr = 0",
    ]
    env = {"new": _new, "CLS": getattr(op, "node_cls", None), "seq": _graph._seq, "Tensor": Tensor,
           "accumulator": accumulator, "SavedTensor": SavedTensor, "user_site": user_site,
           "np_shape": np.shape, "STATE": STATE,
           "record_forward_stack": record_forward_stack, "META": _META, "NRS": _graph._NRS,
           "interned": _graph.interned}
    # a file name under the package, so user_site's walk passes over this frame
    code = compile("\n".join(lines), f"{_graph._DAGRAD_DIR}/ops/<record {op.name}>", "exec")
    exec(code, env)  # noqa: S102
    return env["record"]


def _record_general(op: Op, vals: Any, results: tuple, node: Any) -> tuple:
    edges = []
    meta = []
    saved = {}
    layout = None
    for p in op.diff_params:
        v = vals[op.index[p]]
        any_rg = False
        if p in op.lists:
            if layout is None:
                layout = {}
            layout[p] = len(v)
            for e in v:
                if isinstance(e, Tensor) and e._rg:
                    any_rg = True
                    edges.append((e.grad_fn, e._out_nr) if e.grad_fn is not None
                                 else (accumulator(e), 0))
                    meta.append((e._data.shape, e._data.dtype))
                else:
                    edges.append((None, 0))
                    meta.append(None)
        elif isinstance(v, Tensor) and v._rg:
            any_rg = True
            fn = v.grad_fn
            edges.append((fn, v._out_nr) if fn is not None else (accumulator(v), 0))
            meta.append((v._data.shape, v._data.dtype))
        else:
            edges.append((None, 0))
            meta.append(None)
        if any_rg:
            for a in op.saves_for[p]:
                if a not in saved:
                    saved[a] = _save(op, a, vals, results)
    ex = node._extra = {}
    if layout is not None:
        ex["layout"] = layout
    if op.outputs != 1:
        ex["out_meta"] = [(r._data.shape, r._data.dtype) for r in results]
    return edges, meta, saved


def defop(name: str | None = None, *, node: str | Callable | None, grads: dict | None = None,
          promote: str | None = None, view: bool = False, tensors: tuple = (),
          lists: tuple = (), outputs: int = 1, nondiff_outputs: tuple = (),
          returns: Any = None, multi_view: bool = False,
          promote_params: tuple | None = None, keep_scalars: tuple = (),
          np_grads: dict | None = None) -> Callable[[Callable], Op]:
    """Register ``kernel`` as a dagrad op (see the module docstring)."""
    def wrap(kernel: Callable) -> Op:
        return Op(kernel, name or kernel.__name__, node, grads or {}, promote, view, tensors,
                  lists, outputs, nondiff_outputs, returns, multi_view, promote_params,
                  keep_scalars, np_grads)
    return wrap


# Note [Observing op calls]
# The profiler wraps every op call, and so does forward-mode AD. To cost nothing when they are
# off, they swap ``Op.__call__`` itself (Python looks special methods up on the type):
# ``set_observer(obs)`` installs a wrapper that calls ``obs.op_begin(op, args, kwargs) -> token``
# and ``obs.op_end(token, result)``; ``set_forward_ad(fn)`` installs ``fn(op, call, args, kwargs)`` which
# runs the op through ``call`` and attaches tangents. ``None`` removes either.
_plain_call = Op.__call__
_OBSERVER: Any = None
_FORWARD_AD: Any = None


def _fwd_call(self: Op, *args: Any, **kwargs: Any) -> Any:
    return _FORWARD_AD(self, _plain_call, args, kwargs)


def _observed_call(self: Op, *args: Any, **kwargs: Any) -> Any:
    obs = _OBSERVER
    token = obs.op_begin(self, args, kwargs)
    out = None
    try:
        if _FORWARD_AD is not None:
            out = _FORWARD_AD(self, _plain_call, args, kwargs)
        else:
            out = _plain_call(self, *args, **kwargs)
        return out
    finally:
        obs.op_end(token, out)


def _install() -> None:
    from dagrad import _tensor
    _tensor.FAST_PATH = _OBSERVER is None and _FORWARD_AD is None
    if _OBSERVER is not None:
        Op.__call__ = _observed_call
    elif _FORWARD_AD is not None:
        Op.__call__ = _fwd_call
    else:
        Op.__call__ = _plain_call


def set_observer(obs: Any) -> None:
    global _OBSERVER
    _OBSERVER = obs
    _install()


def set_forward_ad(fn: Any) -> None:
    global _FORWARD_AD
    _FORWARD_AD = fn
    _install()


def plain_call(op: Op, *args: Any, **kwargs: Any) -> Any:
    """Call ``op`` without any wrapper (no profiling, no tangents)."""
    return _plain_call(op, *args, **kwargs)


def registered_ops() -> dict[str, Op]:
    """Every op declared with ``defop``, by name (the op database checks it covers them all)."""
    return dict(_OPS)
