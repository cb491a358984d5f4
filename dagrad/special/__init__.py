"""``dagrad.special``: the functions of ``torch.special`` (error function, gamma family,
normal distribution, Bessel, entropy, softmax...), each the dagrad op of the same name.

Aliases are the very same ops as in PyTorch: ``expit`` is ``sigmoid`` (``SigmoidBackward0``),
``gammaln`` is ``lgamma``, ``psi`` is ``digamma``; ``special.round`` always takes the
``decimals`` overload (``RoundBackward1``), as PyTorch's does.

Example:
    >>> import dagrad.special
    >>> dagrad.special.ndtri(dagrad.tensor([0.5, 0.975]))
    tensor([0.0000, 1.9600])
"""
from __future__ import annotations

from typing import Any

from dagrad._tensor import Tensor
from dagrad.ops import selection as _selection
from dagrad.ops import special as _special
from dagrad.ops.nn_ops import logsumexp
from dagrad.ops.special import (digamma, entr, erf, erfc, erfinv, exp2, expit, expm1, gammaln,
                                i0, i1, log1p, log_ndtr, logit, ndtr, ndtri, polygamma, psi,
                                sinc, xlogy)

__all__ = [
    "digamma", "entr", "erf", "erfc", "erfinv", "exp2", "expit", "expm1", "gammaln", "i0", "i1",
    "log1p", "log_ndtr", "log_softmax", "logit", "logsumexp", "ndtr", "ndtri", "polygamma",
    "psi", "round", "sinc", "softmax", "xlogy",
]


def round(input: Tensor, *, decimals: int = 0) -> Tensor:
    """Round half to even to ``decimals`` places. Same as ``torch.special.round``."""
    return _special.round(input, decimals=decimals)


def softmax(input: Tensor, dim: int, *, dtype: Any = None) -> Tensor:
    """``exp(x) / exp(x).sum(dim)``, after an optional cast. Same as
    ``torch.special.softmax``."""
    return _selection.softmax(input, dim, dtype)


def log_softmax(input: Tensor, dim: int, *, dtype: Any = None) -> Tensor:
    """``log(softmax(x, dim))``, computed stably. Same as ``torch.special.log_softmax``."""
    return _selection.log_softmax(input, dim, dtype)
