"""``saved_tensors_hooks``: pack/unpack hooks applied to every tensor saved for backward.

Example:
    >>> with dagrad.autograd.graph.saved_tensors_hooks(lambda t: t.numpy().copy(), dagrad.tensor):
    ...     y = x.exp()             # ExpBackward0 keeps pack(result), and calls unpack in backward
"""
from __future__ import annotations

import threading
from typing import Any, Callable


class _Stack(threading.local):
    hooks: list = []


_STACK = _Stack()


def current() -> tuple[Callable, Callable] | None:
    h = _STACK.hooks
    return h[-1] if h else None


class saved_tensors_hooks:
    """Context manager: ``pack_hook(tensor) -> Any`` at save time, ``unpack_hook(Any) -> Tensor``
    in backward."""

    def __init__(self, pack_hook: Callable[[Any], Any], unpack_hook: Callable[[Any], Any]) -> None:
        self.pack_hook = pack_hook
        self.unpack_hook = unpack_hook

    def __enter__(self) -> saved_tensors_hooks:
        _STACK.hooks = [*_STACK.hooks, (self.pack_hook, self.unpack_hook)]
        return self

    def __exit__(self, *exc: object) -> None:
        _STACK.hooks = _STACK.hooks[:-1]


class save_on_cpu(saved_tensors_hooks):
    """Saved tensors stay where they are (dagrad is CPU only) but still pass through the hooks."""

    def __init__(self, pin_memory: bool = False, device_type: str = "cuda") -> None:
        super().__init__(lambda t: t, lambda t: t)


class disable_saved_tensors_hooks:
    def __init__(self, error_message: str) -> None:
        self.error_message = error_message

    def __enter__(self) -> None:
        self.prev = _STACK.hooks
        _STACK.hooks = []

    def __exit__(self, *exc: object) -> None:
        _STACK.hooks = self.prev
