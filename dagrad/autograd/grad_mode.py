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
from typing import Any, Callable


class _State(threading.local):
    grad = True          # is_grad_enabled()
    inference = False    # is_inference_mode_enabled()
    anomaly = False      # set_detect_anomaly()


STATE = _State()


def is_grad_enabled() -> bool:
    """True when operations record the autograd graph (the default)."""
    return STATE.grad


def is_inference_mode_enabled() -> bool:
    return STATE.inference


class _DecoratorContextManager:
    """Base for the modes: usable as ``with mode():`` and as ``@mode()`` (or bare ``@mode``)."""

    def __call__(self, func: Callable) -> Callable:
        if inspect.isclass(func):
            raise RuntimeError("Cannot decorate a class with a grad mode")
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
        self.prev = False

    def __enter__(self) -> None:
        self.prev = STATE.grad
        STATE.grad = False

    def __exit__(self, *exc: object) -> None:
        STATE.grad = self.prev


class enable_grad(_DecoratorContextManager):
    """Enable graph recording inside the block, even within ``no_grad``."""

    def __new__(cls, orig_func: Callable | None = None) -> Any:
        if orig_func is None:
            return super().__new__(cls)
        return cls()(orig_func)

    def __init__(self, orig_func: Callable | None = None) -> None:
        self.prev = False

    def __enter__(self) -> None:
        self.prev = STATE.grad
        STATE.grad = True

    def __exit__(self, *exc: object) -> None:
        STATE.grad = self.prev


class set_grad_enabled(_DecoratorContextManager):
    """Set grad mode to ``mode``: at once when called, and restored on leaving a ``with`` block."""

    def __init__(self, mode: bool) -> None:
        self.prev = STATE.grad
        self.mode = bool(mode)
        STATE.grad = self.mode

    def __call__(self, func: Callable) -> Callable:
        STATE.grad = self.prev
        return super().__call__(func)

    def __enter__(self) -> None:
        STATE.grad = self.mode

    def __exit__(self, *exc: object) -> None:
        STATE.grad = self.prev

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
        self.prev = (True, False)

    def __enter__(self) -> None:
        self.prev = (STATE.grad, STATE.inference)
        if self.mode:
            STATE.grad, STATE.inference = False, True
        else:
            STATE.inference = False

    def __exit__(self, *exc: object) -> None:
        STATE.grad, STATE.inference = self.prev

    def clone(self) -> inference_mode:
        return self.__class__(self.mode)
