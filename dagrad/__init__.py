"""dagrad: define-by-run automatic differentiation over NumPy, with PyTorch's API.

    import dagrad as torch
    x = torch.tensor([1., 2., 3.], requires_grad=True)
    (x * x).sum().backward()
    print(x.grad)        # tensor([2., 4., 6.])
"""
from __future__ import annotations

__version__ = "0.1.0"

from dagrad import _dtypes
from dagrad._dtypes import (  # noqa: F401
    bool_ as bool, cdouble, cfloat, complex64, complex128, double, dtype, float, float16,
    float32, float64, get_default_dtype, half, int, int8, int16, int32, int64, long,
    promote_types, set_default_dtype, short, uint8)
from dagrad._tensor import Size, Tensor, device  # noqa: F401
from dagrad import ops  # noqa: F401  (must follow _tensor)
from dagrad._factories import (  # noqa: F401
    BoolTensor, ByteTensor, CharTensor, DoubleTensor, FloatTensor, HalfTensor, IntTensor,
    LongTensor, ShortTensor, arange, as_tensor, asarray, empty, empty_like, eye, from_numpy,
    full, full_like, linspace, logspace, ones, ones_like, rand, rand_like, randint, randn,
    randn_like, randperm, tensor, zeros, zeros_like)
from dagrad._printing import get_printoptions, printoptions, set_printoptions  # noqa: F401
from dagrad._random import (  # noqa: F401
    Generator, default_generator, get_rng_state, initial_seed, manual_seed, seed, set_rng_state)
from dagrad.ops import *  # noqa: F401,F403
from dagrad.ops import max, min  # noqa: F401,E402  (selection's versions, with dim)

# The star import also copied the op-family submodules (dagrad.ops.linalg, .special...): drop
# them, so `dagrad.linalg` and `dagrad.special` reach their own namespaces.
for _n, _v in list(globals().items()):
    if type(_v).__name__ == "module" and getattr(_v, "__name__", "").startswith("dagrad.ops."):
        del globals()[_n]
from dagrad.ops import (  # noqa: F401
    abs, add, bmm, cat, clamp, clip, clone, cos, div, dot, eq, exp, flatten, ge, gt, le, log,
    lt, matmul, maximum, mean, minimum, mm, mul, mv, ne, neg, norm, permute, pow,
    reshape, relu, sigmoid, sin, sqrt, squeeze, stack, sub, sum, t, tanh, transpose, unbind,
    unsqueeze, where)
from dagrad import autograd  # noqa: F401
from dagrad.serialization import load, save  # noqa: F401
from dagrad.autograd.grad_mode import (  # noqa: F401
    enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled, no_grad,
    set_grad_enabled)

strided = "dagrad.strided"


def is_tensor(obj: object) -> builtins_bool:  # type: ignore[name-defined]
    """True for dagrad tensors (and Parameters)."""
    return isinstance(obj, Tensor)


def is_floating_point(input: Tensor) -> builtins_bool:  # type: ignore[name-defined]
    return input.is_floating_point()


def numel(input: Tensor) -> builtins_int:  # type: ignore[name-defined]
    return input.numel()


def result_type(a: object, b: object) -> dtype:
    """PyTorch's type promotion for two operands (tensors or Python scalars)."""
    dims, zeros, scalars = [], [], []
    for v in (a, b):
        if isinstance(v, Tensor):
            (dims if v.dim() else zeros).append(v.dtype)
        else:
            scalars.append(v)
    return _dtypes.result_type(dims, zeros, scalars)


def can_cast(from_: dtype, to: dtype) -> builtins_bool:  # type: ignore[name-defined]
    order = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}
    return order[from_.np.kind] <= order[to.np.kind]


import builtins as _builtins  # noqa: E402

builtins_bool = _builtins.bool
builtins_int = _builtins.int

_SUBMODULES = ("nn", "optim", "utils", "viz", "profiler", "func", "testing", "distributed",
               "linalg", "special", "fft")


def __getattr__(name: str) -> object:
    # Heavier subpackages load on first use: `dagrad.nn`, `dagrad.optim`, `dagrad.viz`, ...
    if name in _SUBMODULES:
        import importlib
        return importlib.import_module(f"dagrad.{name}")
    raise AttributeError(f"module 'dagrad' has no attribute '{name}'")
