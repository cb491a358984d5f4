"""``nn.Parameter`` (a Tensor a Module registers as learnable) and ``nn.Buffer``."""
from __future__ import annotations

from typing import Any

from dagrad import _errors
from dagrad._tensor import Tensor


class Parameter(Tensor):
    """A Tensor that a ``Module`` registers as a parameter when assigned as an attribute.

    ``Parameter(t)`` shares ``t``'s memory and requires grad (unless ``requires_grad=False``).
    Operations on a Parameter give plain Tensors.

    Example:
        >>> p = nn.Parameter(dagrad.ones(2))
        >>> p
        Parameter containing:
        tensor([1., 1.], requires_grad=True)
    """

    def __new__(cls, data: Tensor | None = None, requires_grad: bool = True) -> Parameter:
        if data is None:
            from dagrad import _factories
            data = _factories.empty(0)
        if requires_grad and data._data.dtype.kind not in "fc":
            raise RuntimeError(_errors.REQUIRES_GRAD_FACTORY)
        p = Tensor._make(data._data, cls)
        if data._vc is None:
            from dagrad.autograd.graph import VersionCounter
            data._vc = VersionCounter()
        p._vc = data._vc            # like `data.detach()`: same memory, same version counter
        p._rg = bool(requires_grad)
        return p

    def __init__(self, data: Tensor | None = None, requires_grad: bool = True) -> None:
        pass                        # everything happens in __new__ (Tensor.__init__ would reset)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    __str__ = __repr__

    def __deepcopy__(self, memo: dict) -> Parameter:
        if id(self) in memo:
            return memo[id(self)]
        result = type(self)(Tensor._make(self._data.copy()), self._rg)
        memo[id(self)] = result
        return result

    def __reduce_ex__(self, proto: int) -> Any:
        return (_rebuild_parameter, (self._data.copy(), self._rg))


def _rebuild_parameter(arr: Any, requires_grad: bool) -> Parameter:
    return Parameter(Tensor._make(arr), requires_grad)


class Buffer(Tensor):
    """Marks a tensor as a buffer when assigned to a Module attribute (``nn.Buffer(t)``).

    Assigning ``Buffer(t, persistent=False)`` registers a buffer left out of ``state_dict``.
    The module stores a plain Tensor sharing ``t``'s memory, as PyTorch does.
    """

    def __new__(cls, data: Tensor | None = None, *, persistent: bool = True) -> Buffer:
        if data is None:
            from dagrad import _factories
            data = _factories.empty(0)
        b = Tensor._make(data._data, cls)
        b._rg = data._rg
        b.persistent = persistent
        return b

    def __init__(self, data: Tensor | None = None, *, persistent: bool = True) -> None:
        pass


def is_lazy(param: Any) -> bool:
    """dagrad has no lazy modules: always False."""
    return False
