"""Thread-local grad modes: no_grad, enable_grad, set_grad_enabled, inference_mode.

Each is a context manager and a decorator, as in PyTorch:

    >>> with dagrad.no_grad():
    ...     y = x * 2          # y.requires_grad is False
    >>> @dagrad.no_grad()
    ... def update(): ...
"""
from __future__ import annotations

import functools
import inspect
import threading
import warnings
from typing import Any, Callable


# Note [Grad mode and inference mode]
# `STATE.grad` is what ops read: "record the graph now". It is the grad-mode switch, except that
# inside inference_mode nothing is recorded even when a nested `enable_grad()` turns grad mode
# back on (PyTorch: is_grad_enabled() is True there, yet results are inference tensors with
# requires_grad=False). So the user's switch is kept apart in `STATE.grad_mode`, and `STATE.grad`
# is `grad_mode and not inference`. The engine sets `STATE.grad` alone (to `create_graph`) for
# the duration of a backward pass, which is what is_grad_enabled() reports inside hooks.
class _State(threading.local):
    grad = True          # record the graph (grad mode on and inference mode off)
    grad_mode = True     # the grad-mode switch that is_grad_enabled() reports in inference mode
    inference = False    # is_inference_mode_enabled()
    anomaly = False      # set_detect_anomaly()


STATE = _State()


def is_grad_enabled() -> bool:
    """True when operations record the autograd graph (the default)."""
    return STATE.grad_mode if STATE.inference else STATE.grad


def _set_grad_mode(mode: bool) -> None:
    STATE.grad_mode = mode
    STATE.grad = mode and not STATE.inference


def is_inference_mode_enabled() -> bool:
    return STATE.inference


class _DecoratorContextManager:
    """Base for the modes: usable as ``with mode():`` and as ``@mode()`` (or bare ``@mode``)."""

    def __call__(self, func: Callable) -> Callable:
        if inspect.isclass(func):
            warnings.warn("Decorating classes is deprecated and will be disabled in future "
                          "versions. You should only decorate functions or methods. To preserve "
                          "the current behavior of class decoration, you can directly decorate "
                          "the `__init__` method and nothing else.", FutureWarning, stacklevel=2)
            cls = func

            def construct(*args: Any, **kwargs: Any) -> Any:
                return cls(*args, **kwargs)
            func = construct
        if inspect.isgeneratorfunction(func):
            @functools.wraps(func)
            def gen_wrapper(*args: Any, **kwargs: Any) -> Any:
                gen = func(*args, **kwargs)
                with self.clone():
                    response = gen.send(None)
                while True:
                    try:
                        request = yield response
                    except GeneratorExit:
                        with self.clone():
                            gen.close()
                        raise
                    try:
                        with self.clone():
                            response = gen.send(request)
                    except StopIteration as e:
                        return e.value
            return gen_wrapper

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self.clone():
                return func(*args, **kwargs)
        return wrapper

    def clone(self) -> _DecoratorContextManager:
        return self.__class__()

    def __enter__(self) -> None:
        raise NotImplementedError

    def __exit__(self, *exc: object) -> None:
        raise NotImplementedError


class no_grad(_DecoratorContextManager):
    """Disable graph recording inside the block; results have ``requires_grad=False``.

    Example:
        >>> x = dagrad.tensor([1.], requires_grad=True)
        >>> with dagrad.no_grad():
        ...     y = x * 2
        >>> y.requires_grad
        False
    """

    def __new__(cls, orig_func: Callable | None = None) -> Any:
        if orig_func is None:
            return super().__new__(cls)
        return cls()(orig_func)          # bare @no_grad

    def __init__(self, orig_func: Callable | None = None) -> None:
        self.prev = (True, True)

    def __enter__(self) -> None:
        self.prev = (STATE.grad, STATE.grad_mode)
        _set_grad_mode(False)

    def __exit__(self, *exc: object) -> None:
        STATE.grad, STATE.grad_mode = self.prev


class enable_grad(_DecoratorContextManager):
    """Enable graph recording inside the block, even within ``no_grad``."""

    def __new__(cls, orig_func: Callable | None = None) -> Any:
        if orig_func is None:
            return super().__new__(cls)
        return cls()(orig_func)

    def __init__(self, orig_func: Callable | None = None) -> None:
        self.prev = (True, True)

    def __enter__(self) -> None:
        self.prev = (STATE.grad, STATE.grad_mode)
        _set_grad_mode(True)

    def __exit__(self, *exc: object) -> None:
        STATE.grad, STATE.grad_mode = self.prev


class set_grad_enabled(_DecoratorContextManager):
    """Set grad mode to ``mode``: at once when called, and restored on leaving a ``with`` block."""

    def __init__(self, mode: bool) -> None:
        self.prev = (STATE.grad, STATE.grad_mode)
        self.mode = bool(mode)
        _set_grad_mode(self.mode)

    def __call__(self, func: Callable) -> Callable:
        STATE.grad, STATE.grad_mode = self.prev
        return super().__call__(func)

    def __enter__(self) -> None:
        _set_grad_mode(self.mode)

    def __exit__(self, *exc: object) -> None:
        STATE.grad, STATE.grad_mode = self.prev

    def clone(self) -> set_grad_enabled:
        return self.__class__(self.mode)


class inference_mode(_DecoratorContextManager):
    """Like ``no_grad``, and tensors created inside are inference tensors (``is_inference()``)."""

    def __new__(cls, mode: Any = True) -> Any:
        if isinstance(mode, bool):
            return super().__new__(cls)
        return cls()(mode)

    def __init__(self, mode: bool = True) -> None:
        self.mode = mode
        self.prev = (True, True, False)

    def __enter__(self) -> None:
        self.prev = (STATE.grad, STATE.grad_mode, STATE.inference)
        # c10::InferenceMode(enabled) sets grad mode to `not enabled`
        STATE.inference = bool(self.mode)
        _set_grad_mode(not self.mode)

    def __exit__(self, *exc: object) -> None:
        STATE.grad, STATE.grad_mode, STATE.inference = self.prev

    def clone(self) -> inference_mode:
        return self.__class__(self.mode)
