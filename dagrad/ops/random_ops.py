"""Random sampling: ``normal``, ``bernoulli``, ``multinomial``, ``poisson``, ``randint_like``, and
the in-place fills ``bernoulli_``, ``random_``, ``exponential_``, ``geometric_``, ``cauchy_``,
``log_normal_``.

Draws come from dagrad's generators (NumPy's PCG64, ``dagrad/_random.py``): seeded sequences
repeat within dagrad, but the values differ from PyTorch's. Distributions, shapes, dtypes and
error messages are PyTorch's.

Note [Derivative of sampling]
A sample does not depend differentiably on its parameters in PyTorch: ``normal(mean, std)`` on
tensors that require grad records ``NormalBackward1/2/3`` with a zero derivative,
``bernoulli(p)`` ``BernoulliBackward0``, ``poisson`` ``PoissonBackward0``; the in-place fills move
a non-leaf onto ``ExponentialBackward0``, ``RandomBackward0``... (zero too), and refuse a leaf that
requires grad. ``bernoulli(input, p)`` with a number ``p`` records ``NotImplemented``, whose
backward raises, as in PyTorch. All of them are ``scatter._nondiff_node``.
"""
from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from dagrad import _dtypes, _random
from dagrad._factories import _dt, _finish, _size
from dagrad._tensor import Size, Tensor
from dagrad.ops import inplace
from dagrad.ops.pointwise import scalar_type_name
from dagrad.ops.scatter import _CPP_NAME, _broadcast, _nondiff_node
from dagrad.ops.shape import _expand_shape

_P_IN = ("Expected p_in >= 0 && p_in <= 1 to be true, but got false.  (Could this error message "
         "be improved?  If so, please report an enhancement request to PyTorch.)")

_NORMAL_SIGNATURES = (
    "normal() received an invalid combination of arguments - got ({got}), but expected one of:\n"
    " * (Tensor mean, Tensor std, *, dagrad.Generator generator = None, Tensor out = None)\n"
    " * (Tensor mean, float std = 1, *, dagrad.Generator generator = None, Tensor out = None)\n"
    " * (float mean, Tensor std, *, dagrad.Generator generator = None, Tensor out = None)\n"
    " * (float mean, float std, tuple of ints size, *, dagrad.Generator generator = None, "
    "Tensor out = None, dagrad.dtype dtype = None, dagrad.layout layout = None, dagrad.device "
    "device = None, bool pin_memory = False, bool requires_grad = False)\n")


def _num(v: Any) -> str:
    """A number as PyTorch's messages print a Scalar (``-1``, ``1.5``)."""
    return f"{float(v):g}" if not isinstance(v, (int, np.integer)) else str(int(v))


def _type_names(*args: Any) -> str:
    return ", ".join("Tensor" if isinstance(a, Tensor) else type(a).__name__ for a in args)


def _not_float(kernel: str, dt: np.dtype) -> NotImplementedError:
    return NotImplementedError(f'"{kernel}" not implemented for \'{scalar_type_name(dt)}\'')


# --------------------------------------------------------------------------- out-of-place


def normal(mean: Any, std: Any = 1.0, size: Any = None, *, generator: Any = None,
           out: Any = None, dtype: Any = None, layout: Any = None, device: Any = None,
           pin_memory: bool = False, requires_grad: bool = False) -> Tensor:
    """Samples of N(mean, std**2). Four overloads, as ``torch.normal``: ``mean`` and ``std``
    tensors (broadcast), a tensor and a number, or two numbers and a ``size``.

    Shape:
        broadcast(mean, std), or ``size`` for two numbers

    Example:
        >>> dagrad.manual_seed(0)
        >>> dagrad.normal(dagrad.zeros(2), 1.0).shape
        dagrad.Size([2])
        >>> dagrad.normal(2.0, 3.0, size=(1, 3)).shape
        dagrad.Size([1, 3])
    """
    mt, st = isinstance(mean, Tensor), isinstance(std, Tensor)
    rng = _random._rng(generator)
    if not mt and not st:
        if size is None or not isinstance(size, (tuple, list, Size)):
            args = (mean, std) + (() if size is None else (size,))
            raise TypeError(_NORMAL_SIGNATURES.format(got=_type_names(*args)))
        if std < 0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {_num(std)}")
        dt = _dt(dtype) or _dtypes.get_default_dtype().np
        if dt.kind != "f":
            raise _not_float("normal_kernel_cpu", dt)
        shape = _size((tuple(size),), "normal")
        return _finish((mean + std * rng.standard_normal(shape)).astype(dt), requires_grad)
    if size is not None:
        raise TypeError(_NORMAL_SIGNATURES.format(got=_type_names(mean, std, size)))
    m = mean._data if mt else mean
    s = std._data if st else std
    dt = np.result_type(*[a for a in (m, s) if isinstance(a, np.ndarray)])
    if dt.kind != "f":
        raise _not_float("normal_kernel_cpu", dt)
    if st:
        if (s < 0).any():
            raise RuntimeError("normal expects all elements of std >= 0.0")
    elif s < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {_num(s)}")
    shape = _broadcast(np.shape(m), np.shape(s))
    values = (m + s * rng.standard_normal(shape)).astype(dt)
    node = "NormalBackward3" if mt and st else "NormalBackward1" if mt else "NormalBackward2"
    return _nondiff_node(mean, std, values, node, "normal")


def bernoulli(input: Tensor, p: float | None = None, *, generator: Any = None,
              out: Any = None) -> Tensor:
    """0/1 samples: 1 with probability ``input`` (element-wise), or with probability ``p`` if
    given (then ``input`` only gives the shape and dtype). Same as ``torch.bernoulli``.

    Example:
        >>> dagrad.bernoulli(dagrad.tensor([0., 1., 1.]))
        tensor([0., 1., 1.])
    """
    x = input._data
    rng = _random._rng(generator)
    if p is None:
        if x.dtype.kind != "f":
            raise _not_float("bernoulli_tensor_cpu_p_", x.dtype)
        if not ((x >= 0) & (x <= 1)).all():
            raise RuntimeError(_P_IN)
        values = (rng.random(x.shape) < x).astype(x.dtype)
        return _nondiff_node(input, None, values, "BernoulliBackward0", "bernoulli")
    if not 0 <= p <= 1:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={_num(p)}")
    values = (rng.random(x.shape) < p).astype(x.dtype)
    return _nondiff_node(input, None, values, "NotImplemented", "bernoulli")


def multinomial(input: Tensor, num_samples: int, replacement: bool = False, *,
                generator: Any = None, out: Any = None) -> Tensor:
    """``num_samples`` category indices per row of the (unnormalised) probabilities ``input``
    (1-D or 2-D), with or without ``replacement``. Without replacement each row is drawn in one
    go (exponential race: the ``num_samples`` largest ``p / E``, ``E ~ Exp(1)``), which is
    sequential sampling without replacement; categories of probability 0 come last, in order.
    Same as ``torch.multinomial``.

    Shape:
        (k,) -> (num_samples,); (n, k) -> (n, num_samples); int64

    Example:
        >>> dagrad.multinomial(dagrad.tensor([0., 1., 0.]), 1)
        tensor([1])
    """
    x = input._data
    if x.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if x.dtype.kind != "f":
        raise RuntimeError("multinomial only supports floating-point dtypes for input, got: "
                           f"{scalar_type_name(x.dtype)}")
    n = int(num_samples)
    if n <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    k = x.shape[-1]
    if not replacement and n > k:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without "
                           "replacement")
    rows = x.reshape(-1, k).astype(np.float64)
    if rows.shape[0] == 0:
        return Tensor._make(np.zeros(x.shape[:-1] + (n,), np.int64))
    if not (np.isfinite(rows) & (rows >= 0)).all():
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    totals = rows.sum(1)
    if (totals <= 0).any():
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    rng = _random._rng(generator)
    if replacement:
        cdf = np.cumsum(rows, 1)
        u = rng.random((rows.shape[0], n)) * totals[:, None]
        last = k - 1 - np.argmax(rows[:, ::-1] > 0, axis=1)        # last category with p > 0
        picks = np.stack([np.minimum(np.searchsorted(c, v, side="right"), hi)
                          for c, v, hi in zip(cdf, u, last, strict=True)])
    else:
        keys = rows / rng.exponential(size=rows.shape)
        picks = np.argsort(-keys, axis=1, kind="stable")[:, :n]
    return Tensor._make(picks.reshape(x.shape[:-1] + (n,)).astype(np.int64))


def poisson(input: Tensor, generator: Any = None) -> Tensor:
    """Samples of Poisson(rate) for each element of the rates ``input``. Same as
    ``torch.poisson``.

    Example:
        >>> dagrad.poisson(dagrad.zeros(2))
        tensor([0., 0.])
    """
    x = input._data
    if x.dtype.kind != "f":
        raise _not_float("poisson_cpu", x.dtype)
    if (x < 0).any():
        raise RuntimeError("invalid Poisson rate, expected rate to be non-negative")
    values = _random._rng(generator).poisson(x).astype(x.dtype)
    return _nondiff_node(input, None, values, "PoissonBackward0", "poisson")


def _int_range(low: int, high: int | None, dt: np.dtype) -> tuple[int, int]:
    """PyTorch's checks of a ``[low, high)`` integer range for ``dt`` (``high`` None: up to
    the largest value, or ``2**digits`` for floats); returns ``(low, last)``, both included."""
    if dt.kind == "f":
        digits = np.finfo(dt).nmant + 1
        top = 2 ** digits
        kind = {"float16": "c10::Half", "float32": "float", "float64": "double"}[dt.name]
    elif dt == np.bool_:
        top, kind = 1, "bool"
    else:
        top, kind = int(np.iinfo(dt).max), _CPP_NAME[dt.name]
    if high is not None and low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= "
                           f"to={high}")
    last = top if high is None else high - 1
    if dt.kind == "f":
        lo_ok, hi_ok = -float(np.finfo(dt).max), float(np.finfo(dt).max)
    elif dt == np.bool_:
        lo_ok, hi_ok = 0, 1
    else:
        lo_ok, hi_ok = int(np.iinfo(dt).min), int(np.iinfo(dt).max)
    if not lo_ok <= low <= hi_ok:
        raise RuntimeError(f"from is out of bounds for {kind}")
    if not lo_ok <= last <= hi_ok:
        raise RuntimeError(f"to - 1 is out of bounds for {kind}")
    if dt.kind == "f":
        for name, v in (("from", low), ("to - 1", last)):
            if not -top <= v <= top:
                warnings.warn(f"{name} is out of bounds [-(2^{digits}), 2^{digits}]. Due to "
                              f"precision limitations {kind} can support discrete uniform "
                              "distribution only within this range. This warning will become an "
                              "error in version 1.7 release, please fix the code in advance",
                              UserWarning, stacklevel=3)
    return low, last


def randint_like(input: Tensor, low: int = 0, high: int | None = None, *, generator: Any = None,
                 dtype: Any = None, layout: Any = None, device: Any = None,
                 requires_grad: bool = False, memory_format: Any = None) -> Tensor:
    """Integers uniform on ``[low, high)`` (``randint_like(x, high)`` or ``(x, low, high)``),
    shaped like ``input`` and of its dtype unless ``dtype`` is given. Same as
    ``torch.randint_like``.

    Example:
        >>> dagrad.randint_like(dagrad.zeros(2, 3), 10).shape
        dagrad.Size([2, 3])
    """
    if high is None:
        low, high = 0, low
    dt = _dt(dtype) or input._data.dtype
    lo, last = _int_range(int(low), int(high), dt)
    values = _random._rng(generator).integers(lo, last, input._data.shape, dtype=np.int64,
                                              endpoint=True)
    return _finish(values.astype(dt), requires_grad)


# --------------------------------------------------------------------------- in-place fills


def _fill(self: Tensor, values: np.ndarray, node: str, other: Any = None) -> Tensor:
    """Write ``values`` into ``self`` as the in-place op ``node`` (Note [Derivative of
    sampling])."""
    return inplace.apply(self, _nondiff_node, other, values.astype(self._data.dtype), node,
                         "")          # aten name: only NotImplemented nodes print it


def bernoulli_(self: Tensor, p: Any = 0.5, *, generator: Any = None) -> Tensor:
    """Fill with 0/1 samples, 1 with probability ``p`` (a number or a tensor broadcast to
    ``self``), in place. Same as ``Tensor.bernoulli_``."""
    inplace.check_inplace(self)
    if isinstance(p, Tensor):
        pa = p._data
        if not ((pa >= 0) & (pa <= 1)).all():
            raise RuntimeError(_P_IN)
        _expand_shape(pa.shape, self._data.shape, pa.dtype)
        node = "BernoulliBackward1"
    else:
        if not 0 <= p <= 1:
            raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={_num(p)}")
        pa, node = p, "BernoulliBackward2"
    values = _random._rng(generator).random(self._data.shape) < pa
    return _fill(self, values, node, p if isinstance(p, Tensor) else None)


def random_(self: Tensor, *args: Any, generator: Any = None, **kwargs: Any) -> Tensor:
    """Fill with integers uniform on ``[from, to)``: ``random_(from, to)``, ``random_(to)``
    (from 0), or ``random_()`` (0 to the dtype's largest value; ``2**mantissa`` bits for
    floats, so each value is exact), in place. Same as ``Tensor.random_``.

    Example:
        >>> dagrad.zeros(3).random_(2, 5).ge(2).all()
        tensor(True)
    """
    inplace.check_inplace(self)
    if len(args) > 2 or set(kwargs) - {"from", "to"}:
        raise TypeError("random_() received an invalid combination of arguments")
    low, high, node = 0, None, "RandomBackward2"
    if len(args) == 2 or "from" in kwargs:
        low = args[0] if args else kwargs["from"]
        high = args[1] if len(args) == 2 else kwargs.get("to")
        node = "RandomBackward0"
    elif len(args) == 1 or "to" in kwargs:
        high = args[0] if args else kwargs["to"]
        node = "RandomBackward1"
    dt = self._data.dtype
    lo, last = _int_range(int(low), None if high is None else int(high), dt)
    values = _random._rng(generator).integers(lo, last, self._data.shape, dtype=np.int64,
                                              endpoint=True)
    return _fill(self, values, node)


def _continuous(name: str, self: Tensor, words: str = "scalar") -> None:
    dt = self._data.dtype
    if dt.kind != "f":
        what = _CPP_NAME[dt.name] if words == "cpp" else scalar_type_name(dt)
        raise RuntimeError(f"{name} distribution is a continuous probability distribution. dtype "
                           f"must be a floating point but you specified {what}")


def exponential_(self: Tensor, lambd: float = 1.0, *, generator: Any = None) -> Tensor:
    """Fill with samples of Exp(rate ``lambd``), in place. Same as ``Tensor.exponential_``."""
    inplace.check_inplace(self)
    if not lambd > 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={_num(lambd)}")
    _continuous("Exponential", self)
    values = _random._rng(generator).exponential(1.0 / lambd, self._data.shape)
    return _fill(self, values, "ExponentialBackward0")


def geometric_(self: Tensor, p: float, *, generator: Any = None) -> Tensor:
    """Fill with the number of Bernoulli(``p``) trials up to the first success (1, 2, ...),
    in place. Same as ``Tensor.geometric_``."""
    inplace.check_inplace(self)
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={_num(p)}")
    values = _random._rng(generator).geometric(p, self._data.shape)
    return _fill(self, values, "GeometricBackward0")


def cauchy_(self: Tensor, median: float = 0.0, sigma: float = 1.0, *,
            generator: Any = None) -> Tensor:
    """Fill with samples of Cauchy(``median``, ``sigma``), in place. Same as
    ``Tensor.cauchy_``."""
    inplace.check_inplace(self)
    if not sigma > 0:
        raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={_num(sigma)}")
    _continuous("Cauchy", self, "cpp")
    values = median + sigma * _random._rng(generator).standard_cauchy(self._data.shape)
    return _fill(self, values, "CauchyBackward0")


def log_normal_(self: Tensor, mean: float = 1.0, std: float = 2.0, *,
                generator: Any = None) -> Tensor:
    """Fill with ``exp(N(mean, std**2))`` samples, in place. Same as ``Tensor.log_normal_``."""
    inplace.check_inplace(self)
    if not std > 0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={_num(std)}")
    if self._data.dtype.kind != "f":
        raise _not_float("log_normal_cpu", self._data.dtype)
    values = np.exp(mean + std * _random._rng(generator).standard_normal(self._data.shape))
    return _fill(self, values, "LogNormalBackward0")


# --------------------------------------------------------------------------- the tables

#: Names for ``dagrad.<name>``.
__all__ = ["normal", "bernoulli", "multinomial", "poisson", "randint_like"]

#: Tensor methods (PyTorch has no ``Tensor.poisson`` or ``Tensor.normal``).
METHODS = {
    "bernoulli": bernoulli, "multinomial": multinomial, "bernoulli_": bernoulli_,
    "random_": random_, "exponential_": exponential_, "geometric_": geometric_,
    "cauchy_": cauchy_, "log_normal_": log_normal_,
}
