"""Parameters to one flat vector and back: ``parameters_to_vector``, ``vector_to_parameters``."""
from __future__ import annotations

from typing import Iterable

from dagrad._tensor import Tensor
from dagrad.ops import cat


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """All ``parameters`` flattened and concatenated into one 1-D tensor (in the graph).

    Example:
        >>> nn.utils.parameters_to_vector(nn.Linear(2, 3).parameters()).shape
        dagrad.Size([9])
    """
    return cat([param.view(-1) for param in parameters])


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Copy consecutive slices of the 1-D ``vec`` into ``parameters`` (as their ``.data``)."""
    if not isinstance(vec, Tensor):
        from dagrad.nn.modules.module import typename
        raise TypeError(f"expected dagrad.Tensor, but got: {typename(vec)}")
    pointer = 0
    for param in parameters:
        n = param.numel()
        param.data = vec[pointer:pointer + n].view_as(param).data
        pointer += n
