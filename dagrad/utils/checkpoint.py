"""Activation checkpointing: keep less in memory during forward, recompute it during backward.

``checkpoint(fn, *args, use_reentrant=False)`` runs ``fn`` normally but does not keep the tensors
its ops save for backward; when backward first needs one, ``fn`` runs again (with the same random
state) and the recomputed values are used. Gradients are the same as without checkpointing.

Example:
    >>> y = checkpoint(lambda h: (h @ w).tanh(), x, use_reentrant=False)
    >>> y.sum().backward()          # recomputes (h @ w).tanh()'s saved values here
"""
from __future__ import annotations

import warnings
from typing import Any, Callable

from dagrad import _random
from dagrad.autograd.grad_mode import enable_grad
from dagrad.autograd.saved_hooks import saved_tensors_hooks

_REENTRANT_WARNING = (
    "torch.utils.checkpoint: the use_reentrant parameter should be passed explicitly. Starting in "
    "PyTorch 2.9, calling checkpoint without use_reentrant will raise an exception. "
    "use_reentrant=False is recommended, but if you need to preserve the current default "
    "behavior, you can pass use_reentrant=True. Refer to docs for more details on the "
    "differences between the two variants.")


def checkpoint(function: Callable, *args: Any, use_reentrant: bool | None = None,
               preserve_rng_state: bool = True, **kwargs: Any) -> Any:
    """Run ``function(*args, **kwargs)`` without keeping its saved tensors (recomputed in
    backward). Both ``use_reentrant`` values give the same gradients here; dagrad implements the
    non-reentrant strategy for both."""
    if use_reentrant is None:
        warnings.warn(_REENTRANT_WARNING, UserWarning, stacklevel=2)
    rng_state = _random.default_generator.rng.bit_generator.state if preserve_rng_state else None
    storage: dict[int, Any] = {}
    count = [0]

    def pack(t: Any) -> int:
        i = count[0]
        count[0] += 1
        return i

    def recompute() -> None:
        idx = [0]

        def pack_again(t: Any) -> None:
            storage[idx[0]] = t.detach()
            idx[0] += 1

        gen = _random.default_generator.rng.bit_generator
        saved_state = gen.state
        if rng_state is not None:
            gen.state = rng_state
        try:
            with enable_grad(), saved_tensors_hooks(pack_again, lambda x: x):
                function(*args, **kwargs)
        finally:
            if rng_state is not None:
                gen.state = saved_state

    def unpack(i: int) -> Any:
        if i not in storage:
            recompute()
        return storage.pop(i)

    with saved_tensors_hooks(pack, unpack):
        return function(*args, **kwargs)


def checkpoint_sequential(functions: Any, segments: int, input: Any, use_reentrant: bool | None
                          = None, **kwargs: Any) -> Any:
    """Checkpoint a sequence of modules/functions in ``segments`` chunks."""
    fns = list(functions.children()) if hasattr(functions, "children") else list(functions)
    size = max(1, len(fns) // segments)
    for start in range(0, len(fns), size):
        chunk = fns[start:start + size]

        def run(x: Any, chunk: list = chunk) -> Any:
            for f in chunk:
                x = f(x)
            return x
        input = checkpoint(run, input, use_reentrant=False if use_reentrant is None
                           else use_reentrant, **kwargs)
    return input
