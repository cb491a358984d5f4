"""``dagrad.autograd``: backward, grad, grad modes, Variable, gradcheck, graph utilities."""
from __future__ import annotations

from typing import Any

from dagrad.autograd import graph  # noqa: F401
from dagrad.autograd.anomaly_mode import detect_anomaly, set_detect_anomaly  # noqa: F401
from dagrad.autograd.function import Function, FunctionCtx, once_differentiable  # noqa: F401
from dagrad.autograd.grad_mode import (  # noqa: F401
    enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled, no_grad,
    set_grad_enabled)


def Variable(data: Any, requires_grad: bool = False, volatile: bool = False) -> Any:
    """The pre-0.4 wrapper: today it returns the tensor itself, as PyTorch's ``Variable`` does.

    Example:
        >>> w = dagrad.autograd.Variable(dagrad.randn(3), requires_grad=True)
        >>> type(w).__name__, w.requires_grad
        ('Tensor', True)
    """
    import warnings

    from dagrad._factories import tensor
    from dagrad._tensor import Tensor
    if volatile:
        warnings.warn("volatile was removed and now has no effect. Use `with dagrad.no_grad():` "
                      "instead.", UserWarning, stacklevel=2)
    if not isinstance(data, Tensor):
        data = tensor(data)
    t = data.detach()           # a new tensor sharing memory and version counter
    if requires_grad:
        t.requires_grad_(True)
    return t


def backward(*args: Any, **kwargs: Any) -> None:
    from dagrad.autograd import engine
    return engine.backward(*args, **kwargs)


def grad(*args: Any, **kwargs: Any) -> tuple:
    from dagrad.autograd import engine
    return engine.grad(*args, **kwargs)


backward.__doc__ = "See ``dagrad.autograd.engine.backward``."
grad.__doc__ = "See ``dagrad.autograd.engine.grad``."


def __getattr__(name: str) -> Any:
    # Submodules that need the whole package (gradcheck builds on ops) load on first use.
    if name in ("gradcheck", "gradgradcheck", "GradcheckError"):
        import importlib
        mod = importlib.import_module("dagrad.autograd.gradcheck")
        # importing the submodule bound the module to the package attribute `gradcheck`:
        # rebind the three public names to the functions
        for n in ("gradcheck", "gradgradcheck", "GradcheckError"):
            globals()[n] = getattr(mod, n)
        return globals()[name]
    if name in ("functional", "forward_ad"):
        import importlib
        return importlib.import_module(f"dagrad.autograd.{name}")
    raise AttributeError(f"module 'dagrad.autograd' has no attribute '{name}'")


from dagrad.autograd import profiler  # noqa: E402,F401
from dagrad.autograd.trace import trace  # noqa: E402,F401
