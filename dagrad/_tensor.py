"""Tensor: a NumPy array plus autograd state (requires_grad, grad, grad_fn, version, hooks).

Methods and operators are one-line delegations to the ops in ``dagrad.ops``; the autograd
bookkeeping for in-place ops lives in ``_inplace`` below.
"""
from __future__ import annotations

import warnings
import weakref
from typing import Any, Callable, Iterator

import numpy as np

from dagrad import _dtypes, _errors
from dagrad._dtypes import dtype as _dtype_cls
from dagrad._npquiet import QUIET as _QUIET
from dagrad._npquiet import IGNORE as _QIGNORE, quiet_reset as _qreset, quiet_set as _qset
from dagrad.autograd.grad_mode import STATE


class Size(tuple):
    """``tensor.shape``: a tuple that prints as ``dagrad.Size([2, 3])``."""

    def __repr__(self) -> str:
        return f"dagrad.Size({list(self)})"

    __str__ = __repr__

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n

    def __getitem__(self, item: Any) -> Any:
        r = tuple.__getitem__(self, item)
        return Size(r) if isinstance(item, slice) else r

    def __add__(self, other: tuple) -> Size:
        return Size(tuple.__add__(self, tuple(other)))

    def __radd__(self, other: tuple) -> Size:
        return Size(tuple(other) + tuple(self))


class device:
    """``dagrad.device('cpu')``: dagrad runs on the CPU only; the object exists for ported code."""

    def __init__(self, type: str | device = "cpu", index: int | None = None) -> None:
        if isinstance(type, device):
            type, index = type.type, type.index
        t, _, i = str(type).partition(":")
        self.type = t
        self.index = int(i) if i else index

    def __repr__(self) -> str:
        return f"device(type='{self.type}')" if self.index is None else \
            f"device(type='{self.type}', index={self.index})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))


CPU = device("cpu")

_LEGACY = {"float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor",
           "int64": "LongTensor", "int32": "IntTensor", "int16": "ShortTensor",
           "int8": "CharTensor", "uint8": "ByteTensor", "bool": "BoolTensor",
           "complex64": "ComplexFloatTensor", "complex128": "ComplexDoubleTensor"}


def legacy_type_name(np_dtype: np.dtype) -> str:
    """``dagrad.FloatTensor`` for float32, as PyTorch's ``x.type()`` names it."""
    return "dagrad." + _LEGACY[np.dtype(np_dtype).name]


_new = object.__new__
_ndarray = np.ndarray


class Tensor:
    """A multi-dimensional array that can record the operations applied to it.

    Example:
        >>> x = dagrad.tensor([1., 2., 3.], requires_grad=True)
        >>> y = (x * x).sum()
        >>> y.backward()
        >>> x.grad
        tensor([2., 4., 6.])
    """

    __slots__ = ("_data", "_rg", "grad_fn", "_out_nr", "_grad", "_vc", "_base", "_acc",
                 "_extra", "__weakref__")
    __array_priority__ = 1000   # NumPy defers `ndarray * Tensor` to Tensor.__rmul__

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # dagrad.Tensor(2, 3) (uninitialised), dagrad.Tensor([1, 2]) (data, default float dtype)
        from dagrad import _factories
        t = _factories._legacy_new(args, kwargs, None)
        self._init_from(t._data)

    def _init_from(self, arr: np.ndarray) -> None:
        self._data = arr
        self._rg = False
        self.grad_fn = None
        self._out_nr = 0
        self._grad = None
        self._vc = None
        self._base = None
        self._acc = None
        self._extra = None

    @staticmethod
    def _make(arr: np.ndarray, cls: type | None = None) -> Tensor:
        t = _new(cls or Tensor)
        t._data = arr
        t._rg = False
        t.grad_fn = None
        t._out_nr = 0
        t._grad = None
        t._vc = None
        t._base = None
        t._acc = None
        t._extra = None
        return t

    def _extras(self) -> dict:
        if self._extra is None:
            self._extra = {}
        return self._extra

    def _mark_inference(self) -> None:
        self._extras()["inference"] = True

    # ------------------------------------------------------------ autograd state
    @property
    def requires_grad(self) -> bool:
        return self._rg

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if self.grad_fn is not None:
            raise RuntimeError(_errors.NONLEAF_REQUIRES_GRAD if not value else
                               _errors.NONLEAF_REQUIRES_GRAD.split(" If you")[0])
        if value and self._data.dtype.kind not in "fc":
            raise RuntimeError(_errors.REQUIRES_GRAD_ATTR)
        self._rg = bool(value)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set ``requires_grad`` in place (leaves only) and return self."""
        if self.grad_fn is not None:
            if not requires_grad:
                raise RuntimeError(_errors.NONLEAF_REQUIRES_GRAD)
            return self
        if requires_grad and self._data.dtype.kind not in "fc":
            raise RuntimeError(_errors.REQUIRES_GRAD_METHOD)
        self._rg = bool(requires_grad)
        return self

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def grad(self) -> Tensor | None:
        if self.grad_fn is not None and not self.retains_grad:
            warnings.warn(_errors.NONLEAF_GRAD_WARNING, UserWarning, stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, value: Tensor | None) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of "
                                f"type {type(value).__name__}")
            if value._data.shape != self._data.shape:
                raise RuntimeError(_errors.GRAD_ASSIGN_SIZE.format(
                    gsize=list(value._data.shape), tsize=list(self._data.shape)))
            if value._data.dtype != self._data.dtype:
                raise RuntimeError("attempting to assign a gradient with dtype '"
                                   f"{_dtypes.from_numpy_dtype(value._data.dtype)}' to a tensor "
                                   f"with dtype '{_dtypes.from_numpy_dtype(self._data.dtype)}'. "
                                   "Please ensure that the gradient and the tensor have the same "
                                   "dtype")
        self._grad = value

    @grad.deleter
    def grad(self) -> None:
        self._grad = None

    @property
    def retains_grad(self) -> bool:
        return bool(self._extra and self._extra.get("retains_grad"))

    def retain_grad(self) -> None:
        """Keep ``.grad`` for this non-leaf after backward (a no-op on leaves)."""
        if not self._rg:
            raise RuntimeError(_errors.RETAIN_GRAD_NO_GRAD)
        if self.grad_fn is None or self.retains_grad:
            return
        ref = weakref.ref(self)
        self._extras()["retains_grad"] = True

        def retain(grad: Tensor) -> None:
            t = ref()
            if t is None:
                return
            if t._grad is None:
                t._grad = grad.detach().clone() if not STATE.grad else grad.clone()
            else:
                t._grad = t._grad + grad
        self.grad_fn._add_retain_hook(self._out_nr, retain)

    def register_hook(self, hook: Callable[[Tensor], Tensor | None]) -> Any:
        """Call ``hook(grad)`` when this tensor's gradient is computed; a returned tensor replaces it.

        Returns a handle whose ``remove()`` unregisters the hook.
        """
        if not self._rg:
            raise RuntimeError(_errors.HOOK_NO_GRAD)
        from dagrad.autograd.graph import RemovableHandle
        if self.grad_fn is not None:
            return self.grad_fn._add_tensor_pre_hook(self._out_nr, hook)
        hooks = self._extras().setdefault("hooks", {})
        h = RemovableHandle(hooks)
        hooks[h.id] = hook
        return h

    def register_post_accumulate_grad_hook(self, hook: Callable[[Tensor], None]) -> Any:
        """Call ``hook(tensor)`` after ``.grad`` of this leaf has been accumulated."""
        if self.grad_fn is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf "
                               "tensors")
        if not self._rg:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        from dagrad.autograd.graph import RemovableHandle
        hooks = self._extras().setdefault("post_acc_hooks", {})
        h = RemovableHandle(hooks)
        hooks[h.id] = hook
        return h

    def backward(self, gradient: Tensor | None = None, retain_graph: bool | None = None,
                 create_graph: bool = False, inputs: Any = None) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad`` (see ``dagrad.autograd.backward``)."""
        from dagrad.autograd import engine
        engine.backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    def detach(self) -> Tensor:
        """A tensor sharing data and version counter with self, cut from the graph."""
        t = Tensor._make(self._data)
        if self._vc is None:
            from dagrad.autograd.graph import VersionCounter
            self._vc = VersionCounter()
        t._vc = self._vc
        return t

    def detach_(self) -> Tensor:
        """Cut self from the graph in place; it becomes a leaf that does not require grad."""
        if self._base is not None and self._base._rg:
            raise RuntimeError("Can't detach views in-place. Use detach() instead. If you are "
                               "using DistributedDataParallel (DDP) for training, and "
                               "gradient_as_bucket_view is set as True, gradients are views of "
                               "DDP buckets, and hence detach_() cannot be called on these "
                               "gradients. To fix this error, please refer to the "
                               "Optimizer.zero_grad() function in torch/optim/optimizer.py as the "
                               "solution.")
        self.grad_fn = None
        self._rg = False
        self._out_nr = 0
        return self

    @property
    def data(self) -> Tensor:
        """The values, as a tensor outside the graph with its own version counter."""
        return Tensor._make(self._data)

    @data.setter
    def data(self, value: Tensor) -> None:
        self._data = value._data

    @property
    def _version(self) -> int:
        return 0 if self._vc is None else self._vc.v

    def _bump(self, site: bool = True) -> None:
        """Count an in-place change (and remember the user's line that made it)."""
        vc = self._vc
        if vc is None:
            vc = self._vc = _graph.VersionCounter()
        vc.v += 1
        vc.site = _graph.user_site() if site else None

    @property
    def _is_view_flag(self) -> bool:
        return self._base is not None

    def _is_view(self) -> bool:
        return self._base is not None

    def is_inference(self) -> bool:
        return bool(self._extra and self._extra.get("inference"))

    @property
    def output_nr(self) -> int:
        return self._out_nr

    # ------------------------------------------------------------ metadata
    @property
    def shape(self) -> Size:
        return Size(self._data.shape)

    def size(self, dim: int | None = None) -> Size | int:
        """The shape, or the length of dimension ``dim``."""
        if dim is None:
            return Size(self._data.shape)
        if self._data.ndim == 0:
            raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
        return self._data.shape[_wrap_dim(dim, self._data.ndim)]

    @property
    def dtype(self) -> _dtype_cls:
        return _dtypes.from_numpy_dtype(self._data.dtype)

    @property
    def device(self) -> device:
        return CPU

    @property
    def is_cuda(self) -> bool:
        return False

    @property
    def is_sparse(self) -> bool:
        return False

    @property
    def layout(self) -> str:
        return "dagrad.strided"

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def dim(self) -> int:
        return self._data.ndim

    ndimension = dim

    def numel(self) -> int:
        return self._data.size

    nelement = numel

    def element_size(self) -> int:
        return self._data.itemsize

    def stride(self, dim: int | None = None) -> tuple[int, ...] | int:
        st = tuple(s // self._data.itemsize for s in self._data.strides)
        return st if dim is None else st[_wrap_dim(dim, self._data.ndim)]

    def is_contiguous(self, memory_format: Any = None) -> bool:
        return bool(self._data.flags.c_contiguous)

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f"

    def is_complex(self) -> bool:
        return self._data.dtype.kind == "c"

    def data_ptr(self) -> int:
        return self._data.__array_interface__["data"][0]

    def storage_offset(self) -> int:
        base = self._data
        while isinstance(base.base, np.ndarray):
            base = base.base
        return (self.data_ptr() - base.__array_interface__["data"][0]) // self._data.itemsize

    def untyped_storage(self) -> Any:
        return self._base._data if self._base is not None else self._data

    def get_device(self) -> int:
        return -1

    # ------------------------------------------------------------ conversions
    def numpy(self, *, force: bool = False) -> np.ndarray:
        """The values as a NumPy array sharing memory (refused while requires_grad)."""
        if self._rg and not force:
            raise RuntimeError(_errors.NUMPY_REQUIRES_GRAD)
        return self._data

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        if self._rg:
            raise RuntimeError(_errors.NUMPY_REQUIRES_GRAD)
        a = self._data
        return a if dtype is None else a.astype(dtype)

    def item(self) -> Any:
        """The single value as a Python number."""
        if self._data.size != 1:
            raise RuntimeError(_errors.ITEM_MULTI.format(n=self._data.size))
        return self._data.item() if self._data.ndim == 0 else self._data.reshape(()).item()

    def tolist(self) -> Any:
        return self._data.tolist()

    def __bool__(self) -> bool:
        n = self._data.size
        if n == 0:
            raise RuntimeError("Boolean value of Tensor with no values is ambiguous")
        if n > 1:
            raise RuntimeError(_errors.BOOL_MULTI)
        return bool(self._data.reshape(()))

    def _scalar_for_conversion(self) -> Any:
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return self.item()

    def __float__(self) -> float:
        return float(self._scalar_for_conversion())

    def __int__(self) -> int:
        return int(self._scalar_for_conversion())

    def __complex__(self) -> complex:
        return complex(self._scalar_for_conversion())

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self) -> Iterator[Tensor]:
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(_ops.unbind(self, 0))

    def __hash__(self) -> int:
        return id(self)

    def __format__(self, spec: str) -> str:
        if self._data.ndim == 0:
            return format(self.item(), spec)
        return format(repr(self), spec)

    def __repr__(self, *, tensor_contents: Any = None) -> str:
        from dagrad import _printing
        suffixes = []
        if self.grad_fn is not None:
            suffixes.append(f"grad_fn=<{type(self.grad_fn).__name__}>")
        elif self._rg:
            suffixes.append("requires_grad=True")
        fwd = self._extra.get("tangent") if self._extra else None
        if fwd is not None:
            # PyTorch prints a 0-dim tangent as a Python number: `tensor(6., tangent=3.0)`
            suffixes.append(f"tangent={fwd.item()!r}" if fwd.dim() == 0 else f"tangent={fwd!r}")
        return _printing.tensor_repr(self._data, suffixes=suffixes,
                                     default_dtype=_dtypes.get_default_dtype().np)

    __str__ = __repr__

    def __reduce_ex__(self, proto: int) -> Any:
        return (_rebuild, (self._data.copy(), self._rg))

    def __deepcopy__(self, memo: dict) -> Tensor:
        if self.grad_fn is not None:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) "
                               "support the deepcopy protocol at the moment.  If you were "
                               "attempting to deepcopy a module, this may be because of a "
                               "torch.nn.utils.weight_norm usage, see "
                               "https://github.com/pytorch/pytorch/pull/103001")
        t = Tensor._make(self._data.copy(), type(self))
        t._rg = self._rg
        if self._grad is not None:
            t._grad = self._grad.__deepcopy__(memo)
        if type(self) is not Tensor and hasattr(self, "__dict__"):
            import copy
            t.__dict__.update(copy.deepcopy(self.__dict__, memo))
        memo[id(self)] = t
        return t

    def type(self, dtype: Any = None) -> Any:
        """With no argument, the legacy type name (``'dagrad.FloatTensor'``); else a cast."""
        if dtype is None:
            return legacy_type_name(self._data.dtype)
        if isinstance(dtype, str):
            name = dtype.split(".")[-1]
            for k, v in _LEGACY.items():
                if v == name:
                    return self.to(_dtypes.as_dtype(k))
            raise ValueError(f"invalid type: '{dtype}'")
        if hasattr(dtype, "_dtype"):
            return self.to(dtype._dtype)
        return self.to(dtype)

    def to(self, *args: Any, **kwargs: Any) -> Tensor:
        """Cast to a dtype (``x.to(dagrad.float64)``); devices other than 'cpu' are refused."""
        dtype = kwargs.pop("dtype", None)
        copy = kwargs.pop("copy", False)
        kwargs.pop("non_blocking", None)
        kwargs.pop("memory_format", None)
        dev = kwargs.pop("device", None)
        for a in args:
            if isinstance(a, _dtype_cls):
                dtype = a
            elif isinstance(a, Tensor):
                dtype = a.dtype
            elif isinstance(a, (str, device)):
                dev = a
            elif a is not None and a in (float, int, bool, complex):
                dtype = _dtypes.as_dtype(a)
        if dev is not None and device(dev).type != "cpu":
            raise RuntimeError(f"dagrad runs on the CPU only; cannot move a tensor to '{dev}'")
        if dtype is None or _dtypes.as_dtype(dtype).np == self._data.dtype:
            return _ops.clone(self) if copy else self
        return _ops._to_copy(self, _dtypes.as_dtype(dtype))

    def cpu(self) -> Tensor:
        return self

    def cuda(self, *args: Any, **kwargs: Any) -> Tensor:
        raise RuntimeError("dagrad runs on the CPU only (no CUDA)")

    def float(self) -> Tensor:
        return self.to(_dtypes.float32)

    def double(self) -> Tensor:
        return self.to(_dtypes.float64)

    def half(self) -> Tensor:
        return self.to(_dtypes.float16)

    def long(self) -> Tensor:
        return self.to(_dtypes.int64)

    def int(self) -> Tensor:
        return self.to(_dtypes.int32)

    def short(self) -> Tensor:
        return self.to(_dtypes.int16)

    def char(self) -> Tensor:
        return self.to(_dtypes.int8)

    def byte(self) -> Tensor:
        return self.to(_dtypes.uint8)

    def bool(self) -> Tensor:
        return self.to(_dtypes.bool_)

    def cfloat(self) -> Tensor:
        return self.to(_dtypes.complex64)

    def cdouble(self) -> Tensor:
        return self.to(_dtypes.complex128)

    def type_as(self, other: Tensor) -> Tensor:
        return self.to(other.dtype)

    def new_tensor(self, data: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
        from dagrad import _factories
        return _factories.tensor(data, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_zeros(self, *size: Any, dtype: Any = None, requires_grad: bool = False,
                  **_: Any) -> Tensor:
        from dagrad import _factories
        return _factories.zeros(*size, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_ones(self, *size: Any, dtype: Any = None, requires_grad: bool = False,
                 **_: Any) -> Tensor:
        from dagrad import _factories
        return _factories.ones(*size, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_empty(self, *size: Any, dtype: Any = None, requires_grad: bool = False,
                  **_: Any) -> Tensor:
        from dagrad import _factories
        return _factories.empty(*size, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_full(self, size: Any, fill_value: Any, dtype: Any = None,
                 requires_grad: bool = False, **_: Any) -> Tensor:
        from dagrad import _factories
        return _factories.full(size, fill_value, dtype=dtype or self.dtype,
                               requires_grad=requires_grad)

    # ------------------------------------------------------------ arithmetic operators
    # + - * / take a fast path past the registry's dispatch (Note [Fast arithmetic]).
    def __add__(self, other: Any) -> Tensor:
        r = _fast(self, other, _np_add, False, "add")
        return r if r is not None else _ops.add(self, other)

    def __radd__(self, other: Any) -> Tensor:
        r = _fast(self, other, _np_add, False, "add")
        return r if r is not None else _ops.add(self, other)

    def __sub__(self, other: Any) -> Tensor:
        r = _fast(self, other, _np_subtract, False, "sub")
        return r if r is not None else _ops.sub(self, other)

    def __rsub__(self, other: Any) -> Tensor:
        r = _fast(self, other, _np_subtract, True, "rsub")
        return r if r is not None else _ops.rsub(self, other)

    def __mul__(self, other: Any) -> Tensor:
        r = _fast(self, other, _np_multiply, False, "mul")
        return r if r is not None else _ops.mul(self, other)

    def __rmul__(self, other: Any) -> Tensor:
        r = _fast(self, other, _np_multiply, False, "mul")
        return r if r is not None else _ops.mul(self, other)

    def __truediv__(self, other: Any) -> Tensor:
        r = _fast(self, other, _np_divide, False, "div")
        return r if r is not None else _ops.div(self, other)

    def __rtruediv__(self, other: Any) -> Tensor:
        return _ops.mul(_ops.reciprocal(self), other)      # PyTorch records MulBackward0 here

    def __floordiv__(self, other: Any) -> Tensor:
        return _ops.floor_divide(self, other)

    def __rfloordiv__(self, other: Any) -> Tensor:
        return _ops.floor_divide(other, self)

    def __mod__(self, other: Any) -> Tensor:
        return _ops.remainder(self, other)

    def __rmod__(self, other: Any) -> Tensor:
        return _ops.remainder(other, self)

    def __pow__(self, exponent: Any) -> Tensor:
        return _ops.pow(self, exponent)

    def __rpow__(self, base: Any) -> Tensor:
        return _ops.pow(base, self)

    def __matmul__(self, other: Any) -> Tensor:
        return _ops.matmul(self, other)

    def __rmatmul__(self, other: Any) -> Tensor:
        return _ops.matmul(other, self)

    def __neg__(self) -> Tensor:
        if FAST_PATH and not (self._rg and STATE.grad) and not STATE.inference and \
                self._data.dtype.kind in "fciu":
            r = np.negative(self._data)                       # Note [Fast arithmetic]
            return Tensor._make(r if type(r) is _ndarray else np.asarray(r))
        return _ops.neg(self)

    def __pos__(self) -> Tensor:
        return self

    def __abs__(self) -> Tensor:
        return _ops.abs(self)

    def __invert__(self) -> Tensor:
        return _ops.bitwise_not(self)

    def __and__(self, other: Any) -> Tensor:
        return _ops.bitwise_and(self, other)

    __rand__ = __and__

    def __or__(self, other: Any) -> Tensor:
        return _ops.bitwise_or(self, other)

    __ror__ = __or__

    def __xor__(self, other: Any) -> Tensor:
        return _ops.bitwise_xor(self, other)

    __rxor__ = __xor__

    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return _ops.eq(self, other)

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return _ops.ne(self, other)

    def __lt__(self, other: Any) -> Tensor:
        return _ops.lt(self, other)

    def __le__(self, other: Any) -> Tensor:
        return _ops.le(self, other)

    def __gt__(self, other: Any) -> Tensor:
        return _ops.gt(self, other)

    def __ge__(self, other: Any) -> Tensor:
        return _ops.ge(self, other)

    # augmented assignment: in place, as in PyTorch
    def __iadd__(self, other: Any) -> Tensor:
        return self.add_(other)

    def __isub__(self, other: Any) -> Tensor:
        return self.sub_(other)

    def __imul__(self, other: Any) -> Tensor:
        return self.mul_(other)

    def __itruediv__(self, other: Any) -> Tensor:
        return self.div_(other)

    def __ipow__(self, other: Any) -> Tensor:
        return self.pow_(other)

    def __getitem__(self, index: Any) -> Tensor:
        return _ops.getitem(self, index)

    def __setitem__(self, index: Any, value: Any) -> None:
        _ops.setitem(self, index, value)


# Note [Fast arithmetic]
# `a * b` through the op registry costs a few microseconds of bookkeeping: binding, type
# promotion, the op's generic dispatch. When both operands have the same dtype (or one is a
# Python number of a kind that leaves the tensor's dtype unchanged) and no profiler or
# forward-AD level is active, the result is exactly NumPy's, so the operator calls NumPy
# directly. When nothing will be recorded (grad mode off — every first-order backward formula
# runs so — or no operand requires grad) that is all; when the op must be recorded (real
# floating dtypes, outside anomaly mode) the registry's own `_record` then builds the node from
# the same arguments the registry path would pass, so the graph is identical. Anything else
# (errors included) takes the registry path, which gives PyTorch's promotion and messages.
FAST_PATH = True          # turned off by the registry while a profiler or forward AD is active
_np_add, _np_subtract, _np_multiply = np.add, np.subtract, np.multiply


_np_divide = np.true_divide


# What the registry path would pass to the op after the two operands (its defaults), so a
# recorded fast-path call saves exactly what `_ops.<name>(self, other)` saves.
_TAILS = {"add": (1,), "sub": (1,), "rsub": (1,), "mul": (), "div": (None,)}


def _fast(self: Tensor, other: Any, ufunc: Any, reflected: bool, name: str) -> Tensor | None:
    if not FAST_PATH:
        return None
    st = STATE
    if st.inference:
        return None
    a = self._data
    k = a.dtype.kind
    if type(other) is Tensor or isinstance(other, Tensor):
        b = other._data
        if b.dtype != a.dtype:
            return None
        record = st.grad and (self._rg or other._rg)
    elif type(other) is float:
        if k not in "fc":
            return None
        b = other
        record = st.grad and self._rg
    elif type(other) is int:
        if k not in "fciu":
            return None
        b = other
        record = st.grad and self._rg
    else:
        return None
    # Recording takes this path only for real floating tensors (no conj in the formulas to
    # mirror) and outside anomaly mode (which records the forward stack); `_record` is the
    # registry's own, so the node, its edges and its saved values are the registry path's.
    if record and (k != "f" or st.anomaly):
        return None
    if k == "b" and ufunc is not _np_add and ufunc is not _np_multiply:
        return None
    if ufunc is _np_divide and k not in "fc":
        return None
    # PyTorch never warns on inf * 0 or nan arithmetic: NumPy's error state set to "ignore"
    # directly (what `with _QUIET` does, without its two Python calls)
    token = _qset(_QIGNORE) if _qset is not None else _QUIET.__enter__()
    try:
        r = ufunc(b, a) if reflected else ufunc(a, b)
    except (ValueError, OverflowError):
        return None
    finally:
        if _qset is not None:
            _qreset(token)
        else:
            _QUIET.__exit__()
    t = Tensor._make(r if type(r) is _ndarray else np.asarray(r))
    if record:
        op = getattr(_ops, name)
        rec = op.record              # the op's compiled recording (Note [Compiled recording])
        if rec is not None:
            rec((self, other) + _TAILS[name], t)
        elif name in _NODE_NAMES and op.record_cls is not None:
            op.record_cls((self, other) + _TAILS[name], t, op.node_class_named(_NODE_NAMES[name]))
        else:
            _record(op, (self, other) + _TAILS[name], (t,))
    return t


# The node an op with a call-dependent node name records on this path, where the path's own
# arguments fix it (div without a rounding mode), so the registry's name function is skipped.
_NODE_NAMES = {"div": "DivBackward0"}


Tensor.__module__ = Size.__module__ = "dagrad"     # `<class 'dagrad.Tensor'>` as torch prints


def _rebuild(arr: np.ndarray, rg: bool) -> Tensor:
    t = Tensor._make(arr)
    t._rg = rg
    return t


def _wrap_dim(dim: int, ndim: int) -> int:
    """Normalise a possibly negative ``dim``; PyTorch's IndexError when out of range."""
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(_errors.DIM_OUT_OF_RANGE.format(lo=-n, hi=n - 1, dim=dim))
    return dim + n if dim < 0 else dim


from dagrad import ops as _ops  # noqa: E402  (ops import Tensor; methods look them up late)
from dagrad.ops._registry import _record  # noqa: E402
from dagrad.autograd import graph as _graph  # noqa: E402  (VersionCounter, user_site)
