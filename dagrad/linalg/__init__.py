"""``dagrad.linalg``: PyTorch's ``torch.linalg`` namespace.

Every function is differentiable (twice where PyTorch is), works on batches of matrices
(leading batch dims) and records PyTorch's node (``LinalgDetBackward0``...). Failed
factorizations raise ``LinAlgError`` (a ``RuntimeError``) with PyTorch's text.

Example:
    >>> import dagrad
    >>> A = dagrad.tensor([[4., 2.], [2., 3.]], requires_grad=True)
    >>> dagrad.linalg.det(A)
    tensor(8., grad_fn=<LinalgDetBackward0>)
    >>> dagrad.linalg.cholesky(A)
    tensor([[2.0000, 0.0000],
            [1.0000, 1.4142]], grad_fn=<LinalgCholeskyExBackward0>)
"""
from __future__ import annotations

from typing import Any

from dagrad._tensor import Tensor
from dagrad.ops.linalg import matmul
from dagrad.ops.linalg_decomp import LinAlgError, linalg_pinv, linalg_solve_triangular, linalg_svd
from dagrad.ops.linalg_decomp import linalg_cholesky as _cholesky
from dagrad.ops.linalg_decomp import linalg_cross as cross
from dagrad.ops.linalg_decomp import linalg_det as det
from dagrad.ops.linalg_decomp import linalg_eigh as eigh
from dagrad.ops.linalg_decomp import linalg_eigvalsh as eigvalsh
from dagrad.ops.linalg_decomp import linalg_inv as inv
from dagrad.ops.linalg_decomp import linalg_matrix_norm as matrix_norm
from dagrad.ops.linalg_decomp import linalg_norm as norm
from dagrad.ops.linalg_decomp import linalg_qr as qr
from dagrad.ops.linalg_decomp import linalg_slogdet as slogdet
from dagrad.ops.linalg_decomp import linalg_solve as _solve
from dagrad.ops.linalg_decomp import linalg_svdvals as svdvals
from dagrad.ops.reduction import linalg_vector_norm as vector_norm

__all__ = [
    "LinAlgError", "cholesky", "cross", "det", "eigh", "eigvalsh", "inv", "matmul",
    "matrix_norm", "norm", "pinv", "qr", "slogdet", "solve", "solve_triangular", "svd",
    "svdvals", "vecdot", "vector_norm",
]


def cholesky(A: Tensor, *, upper: bool = False) -> Tensor:
    """Cholesky factor of each Hermitian positive-definite matrix: ``L`` with ``A = L L^H``, or
    ``U`` with ``A = U^H U`` when ``upper``.

    Raises:
        LinAlgError: "linalg.cholesky: The factorization could not be completed because the input
            is not positive-definite (the leading minor of order k is not positive-definite)."
    """
    return _cholesky(A, upper)


def solve(A: Tensor, B: Tensor, *, left: bool = True) -> Tensor:
    """Solve ``A X = B`` (``X A = B`` when ``left=False``); see ``dagrad.ops.linalg_solve``.

    Shape:
        A (*, n, n); B (*, n) or (n,) (vectors) or (*, n, k) -> X of B's shape, batch broadcast
    """
    return _solve(A, B, left)


def solve_triangular(A: Tensor, B: Tensor, *, upper: bool, left: bool = True,
                     unitriangular: bool = False) -> Tensor:
    """Solve ``A X = B`` (or ``X A = B``) for triangular ``A``; ``upper`` is required."""
    return linalg_solve_triangular(A, B, upper, left, unitriangular)


def svd(A: Tensor, full_matrices: bool = True, *, driver: str | None = None) -> Any:
    """``(U, S, Vh)`` with ``A = U diag(S) Vh``; ``driver`` exists only for CUDA in PyTorch."""
    if driver is not None:
        raise RuntimeError("dagrad.linalg.svd: keyword argument `driver=` is only supported on "
                           "CUDA inputs with cuSOLVER backend.")
    return linalg_svd(A, full_matrices)


def pinv(A: Tensor, *, atol: Any = None, rtol: Any = None, hermitian: bool = False) -> Tensor:
    """Moore-Penrose pseudo-inverse; see ``dagrad.ops.linalg_pinv`` for the tolerances."""
    return linalg_pinv(A, atol, rtol, hermitian)


def vecdot(x: Tensor, y: Tensor, *, dim: int = -1) -> Tensor:
    """``sum(conj(x) * y, dim)`` with broadcasting (``SumBackward1``); two vectors go through
    ``vdot`` (``VdotBackward0``), as in PyTorch."""
    from dagrad.ops.linalg_decomp import vdot
    from dagrad.ops.pointwise import conj
    if x.dim() == 1 and y.dim() == 1 and dim in (0, -1):
        return vdot(x, y)
    return (conj(x) * y).sum(dim)
