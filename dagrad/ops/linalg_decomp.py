"""Linear algebra beyond the plain products: decompositions, solvers, determinants, norms, einsum.

Each op is one ``defop``: a NumPy (LAPACK) kernel, PyTorch's node name and one derivative formula
per input, taken from PyTorch's ``derivatives.yaml`` / ``FunctionsManual.cpp`` and written in dagrad
ops, so every formula differentiates again (double backward needs nothing extra). The formulas of
the multi-output decompositions (``qr``, ``eigh``, ``svd``, ``slogdet``, ``triangular_solve``) get
``grads``, one per output; an output that received no gradient arrives as zeros (Note [Undefined
output gradients]).

Batched inputs (leading batch dims) work wherever PyTorch accepts them; a failed factorization
raises ``LinAlgError`` (a ``RuntimeError``) with PyTorch's words, including the index LAPACK
reports (``The diagonal element 2 is zero``), which dagrad recomputes with an unblocked
factorization of the failing matrix (Note [LAPACK error index]).

Composite functions (``tensordot``, ``kron``, ``outer``, ``matrix_norm``, ``norm``...) call other
ops as PyTorch's own implementation does, so their ``grad_fn`` is the node PyTorch records last.
"""
from __future__ import annotations

import functools
import math
import warnings
from collections import namedtuple
from collections.abc import Sequence
from typing import Any

import numpy as np

from dagrad._tensor import Tensor
from dagrad.ops import _formulas
from dagrad.ops._registry import defop
from dagrad.ops.linalg import bmm, matmul, mm, mv
from dagrad.ops.pointwise import conj, eq, imag, real, scalar_type_name, where
from dagrad.ops.reduction import linalg_vector_norm
from dagrad.ops.shape import (
    _unsafe_view,
    cat,
    narrow,
    permute,
    reshape,
    select,
    stack,
    transpose,
    unsqueeze,
)


class LinAlgError(RuntimeError):
    """A factorization failed (singular or not positive-definite input). Same as
    ``torch.linalg.LinAlgError``; it is a ``RuntimeError``."""


# --------------------------------------------------------------------------- small helpers


def _mH(x: Tensor) -> Tensor:
    """Conjugate transpose of the last two dims (``x.mH``)."""
    return conj(transpose(x, -2, -1))


def _mT(x: Tensor) -> Tensor:
    return transpose(x, -2, -1)


def _const(arr: np.ndarray) -> Tensor:
    return Tensor._make(np.asarray(arr))


def _eye_mask(n: int) -> Tensor:
    return _const(np.eye(n, dtype=bool))


def _scale(g: Tensor, s: Any) -> Tensor:
    """``g * conj(s)`` for a Python scalar ``s`` (PyTorch's ``maybe_multiply(g, s.conj())``)."""
    if isinstance(s, complex):
        s = s.conjugate()
    return g if s == 1 else g * s


def _real_dtype(dt: np.dtype) -> np.dtype:
    return np.empty(0, dt).real.dtype


# Note [Undefined output gradients]
# PyTorch passes an undefined tensor for an output that got no gradient, and its formulas skip the
# terms that would multiply it (svd_backward divides gU by S, which is nan for a singular matrix
# even when gU is zero). The registry gives zeros instead; ``_defined`` treats a zero gradient
# that is not itself part of a graph as undefined. Skipping a term that is linear in a zero
# gradient never changes a finite result.
def _defined(g: Tensor) -> bool:
    return g.requires_grad or bool(g._data.any())


# Note [Saved outputs of multi-output ops]
# The registry saves a node's outputs before it numbers them, so every unpacked output says it
# is output 0 of the node; a double backward through, say, V of eigh would then send V's
# gradient to the eigenvalues. ``_outputs`` renumbers the unpacked outputs (fresh Tensors made by
# each unpack) before a formula uses them; it changes nothing once the registry numbers them.
def _outputs(result: tuple) -> tuple:
    for i, r in enumerate(result):
        if r.grad_fn is not None:
            r._out_nr = i
    return result


def _check_matrix(A: np.ndarray, fname: str, square: bool = True, name: str = "A") -> None:
    """PyTorch's ``squareCheckInputs`` + ``checkFloatingOrComplex`` (same order, same text)."""
    if A.ndim < 2:
        raise RuntimeError(f"{fname}: The input tensor {name} must have at least 2 dimensions.")
    if square and A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"{fname}: {name} must be batches of square matrices, but they are "
                           f"{A.shape[-2]} by {A.shape[-1]} matrices")
    _check_floating(A, fname)


def _check_floating(A: np.ndarray, fname: str) -> None:
    if A.dtype == np.float16:
        raise RuntimeError(f"{fname}: Low precision dtypes not supported. Got Half")
    if A.dtype.kind not in "fc":
        raise RuntimeError(f"{fname}: Expected a floating point or complex tensor as input. Got "
                           f"{scalar_type_name(A.dtype)}")


# Note [LAPACK error index]
# NumPy's LinAlgError says only "Singular matrix"; PyTorch reports LAPACK's ``info``: the first
# zero pivot of the LU factorization (getrf) or the order of the first leading minor that is not
# positive-definite (potrf), and, for a batch, the first failing batch element. Once NumPy has
# failed, dagrad finds both with the unblocked algorithms below (getf2 / potf2), run only on the
# error path.
def _lu_info(a: np.ndarray) -> int:
    """LAPACK getf2's ``info`` for one square matrix: 1 + the column of the first zero pivot."""
    a = np.array(a, copy=True)
    info = 0
    for j in range(a.shape[0]):
        p = j + int(np.argmax(np.abs(a[j:, j])))
        if a[p, j] == 0:
            info = info or j + 1
            continue
        if p != j:
            a[[j, p]] = a[[p, j]]
        a[j + 1:, j] /= a[j, j]
        a[j + 1:, j + 1:] -= np.outer(a[j + 1:, j], a[j, j + 1:])
    return info


def _chol_info(a: np.ndarray) -> int:
    """LAPACK potf2's ``info`` (lower): the order of the first non-positive-definite minor."""
    a = np.array(a, copy=True)
    for j in range(a.shape[0]):
        row = a[j, :j]
        ajj = float(np.real(a[j, j]) - np.real(np.vdot(row, row)))
        if not ajj > 0:                      # also catches nan
            return j + 1
        ajj = math.sqrt(ajj)
        a[j, j] = ajj
        a[j + 1:, j] = (a[j + 1:, j] - a[j + 1:, :j] @ np.conj(row)) / ajj
    return 0


def _first_failure(A: np.ndarray, info_fn: Any) -> tuple[str, int]:
    """``("(Batch element i): " or "", info)`` for the first matrix of ``A`` that fails."""
    mats = A.reshape((-1,) + A.shape[-2:])
    for i, m in enumerate(mats):
        info = info_fn(m)
        if info:
            return ("" if A.ndim == 2 else f"(Batch element {i}): "), info
    return "", 0


def _singular_inv_error(A: np.ndarray, fname: str = "linalg.inv") -> LinAlgError:
    batch, info = _first_failure(A, _lu_info)
    return LinAlgError(f"{fname}: {batch}The diagonal element {max(info, 1)} is zero, the "
                       "inversion could not be completed because the input matrix is singular.")


def _cholesky_error(A: np.ndarray) -> LinAlgError | None:
    batch, info = _first_failure(A, _chol_info)
    if not info:
        return None
    return LinAlgError(f"linalg.cholesky: {batch}The factorization could not be completed because "
                       f"the input is not positive-definite (the leading minor of order {info} is "
                       "not positive-definite).")


def _tri_solve_np(T: np.ndarray, B: np.ndarray, lower: bool) -> np.ndarray:
    """Solve ``T X = B`` for triangular ``T`` (batch dims broadcast). A zero on the diagonal gives
    inf/nan as BLAS trsm does (PyTorch does not check), instead of NumPy's LinAlgError."""
    try:
        return np.linalg.solve(T, B)
    except np.linalg.LinAlgError:
        pass
    shape = np.broadcast_shapes(T.shape[:-2], B.shape[:-2])
    n = T.shape[-1]
    T = np.broadcast_to(T, shape + T.shape[-2:])
    X = np.zeros(shape + B.shape[-2:], np.result_type(T, B))
    B = np.broadcast_to(B, X.shape)
    with np.errstate(all="ignore"):
        for i in (range(n) if lower else range(n - 1, -1, -1)):
            done = slice(0, i) if lower else slice(i + 1, n)
            s = B[..., i, :] - np.einsum("...k,...kj->...j", T[..., i, done], X[..., done, :])
            X[..., i, :] = s / T[..., i, i, None]
    return X


# --------------------------------------------------------------------------- structural helpers
# Private ops the formulas need (PyTorch's tril/triu/diagonal/diag_embed/amax/amin nodes).


@defop(name="_linalg_tril", node="TrilBackward0",
       grads={"self": lambda grad, diagonal: _tril(grad, diagonal)})
def _tril(self, diagonal=0):
    # the lower triangle of the last two dims (``torch.tril``)
    return np.tril(self, diagonal)


@defop(name="_linalg_triu", node="TriuBackward0",
       grads={"self": lambda grad, diagonal: _triu(grad, diagonal)})
def _triu(self, diagonal=0):
    return np.triu(self, diagonal)


@defop(name="_linalg_diagonal", node="DiagonalBackward0", grads={
    "self": lambda grad, self_shape: _diag_embed(grad, self_shape[-2], self_shape[-1])})
def _diagonal(self):
    # the main diagonal of the last two dims (``torch.diagonal(x, 0, -2, -1)``)
    return np.diagonal(self, 0, -2, -1).copy()


@defop(name="_linalg_diag_embed", node="DiagEmbedBackward0",
       grads={"self": lambda grad: _diagonal(grad)})
def _diag_embed(self, rows=None, cols=None):
    # (*, k) -> (*, rows, cols) with ``self`` on the main diagonal (square k x k by default)
    k = self.shape[-1]
    rows = k if rows is None else rows
    cols = k if cols is None else cols
    out = np.zeros(self.shape[:-1] + (rows, cols), self.dtype)
    idx = np.arange(k)
    out[..., idx, idx] = self
    return out


def _amax_backward(grad, self, result, dim, keepdim):
    # PyTorch: grad spread evenly over the elements equal to the extremum
    shape = tuple(self.shape)
    grad = _formulas.unsqueeze_to(grad, shape, dim, keepdim)
    result = _formulas.unsqueeze_to(result, shape, dim, keepdim)
    mask = eq(self, result).to(self.dtype)
    return grad / mask.sum(dim, keepdim=True) * mask


@defop(name="_linalg_amax", node="AmaxBackward0", grads={"self": _amax_backward})
def _amax(self, dim, keepdim=False):
    return np.amax(self, axis=dim, keepdims=keepdim)


@defop(name="_linalg_amin", node="AminBackward0", grads={"self": _amax_backward})
def _amin(self, dim, keepdim=False):
    return np.amin(self, axis=dim, keepdims=keepdim)


def _prod_others(S: Tensor) -> Tensor:
    """``P[..., i] = prod_{j != i} S[..., j]`` without dividing (zeros allowed), in dagrad ops."""
    k = S.shape[-1]
    cols = [select(S, -1, i) for i in range(k)]
    one = _const(np.ones(tuple(S.shape[:-1]), S._data.dtype))
    left, right = [one], [one]
    for i in range(1, k):
        left.append(left[-1] * cols[i - 1])
        right.append(right[-1] * cols[k - i])
    return stack([left[i] * right[k - 1 - i] for i in range(k)], -1)


# --------------------------------------------------------------------------- products


def _same_dtype3(what: str, *arrays: np.ndarray) -> None:
    if len({a.dtype for a in arrays}) > 1:
        names = ", ".join(scalar_type_name(a.dtype) for a in arrays[:-1])
        raise RuntimeError(f"{what} input tensors must have the same dtype, but got {names}, and "
                           f"{scalar_type_name(arrays[-1].dtype)}")


@defop(node="AddmvBackward0", grads={
    "self": lambda grad, beta: _scale(grad, beta),
    "mat": lambda grad, vec, alpha: _scale(unsqueeze(grad, 1) * unsqueeze(conj(vec), 0), alpha),
    "vec": lambda grad, mat, alpha: _scale(mv(_mH(mat), grad), alpha),
})
def addmv(self, mat, vec, beta=1, alpha=1):
    """``beta * self + alpha * (mat @ vec)``; ``self`` broadcasts to (n,). Same as ``torch.addmv``.

    Shape:
        self (n,), (1,) or (); mat (n, m); vec (m,) -> (n,)

    Example:
        >>> dagrad.addmv(dagrad.ones(2), dagrad.ones(2, 3), dagrad.ones(3)).tolist()
        [4.0, 4.0]
    """
    if not (mat.ndim == 2 and vec.ndim == 1 and self.ndim <= 1):
        raise RuntimeError(f"vector + matrix @ vector expected, got {self.ndim}, {mat.ndim}, "
                           f"{vec.ndim}")
    n = self.shape[0] if self.ndim else 1
    if mat.shape[1] != vec.shape[0] or not (n == mat.shape[0] or self.size == 1):
        raise RuntimeError(f"size mismatch, got input ({n}), mat ({mat.shape[0]}x"
                           f"{mat.shape[1]}), vec ({vec.shape[0]})")
    _same_dtype3("addmv", self, mat, vec)
    prod = mat @ vec
    if alpha != 1:
        prod = prod * alpha
    if beta == 0:                   # PyTorch ignores self (and its nan/inf) when beta is 0
        return prod
    return (self if beta == 1 else self * beta) + prod


@defop(node="BaddbmmBackward0", grads={
    "self": lambda grad, beta: _scale(grad, beta),
    "batch1": lambda grad, batch2, alpha: _scale(bmm(grad, _mH(batch2)), alpha),
    "batch2": lambda grad, batch1, alpha: _scale(bmm(_mH(batch1), grad), alpha),
})
def baddbmm(self, batch1, batch2, beta=1, alpha=1):
    """``beta * self + alpha * bmm(batch1, batch2)``; ``self`` broadcasts to (b, n, p).

    Shape:
        batch1 (b, n, m), batch2 (b, m, p) -> (b, n, p)
    """
    for name, t in (("batch1", batch1), ("batch2", batch2)):
        if t.ndim != 3:
            raise RuntimeError(f"{name} must be a 3D tensor")
    b, n, m = batch1.shape
    if batch2.shape[0] != b or batch2.shape[1] != m:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{b}, {m}] but got: [{batch2.shape[0]}, {batch2.shape[1]}].")
    if batch1.dtype != batch2.dtype:
        raise RuntimeError(f"expected scalar type {scalar_type_name(batch1.dtype)} but found "
                           f"{scalar_type_name(batch2.dtype)}")
    if self.dtype != batch1.dtype:
        raise RuntimeError(f"Input dtypes must be the same, got: input "
                           f"{_TYPE_LOWER[self.dtype.name]}, batch1: "
                           f"{_TYPE_LOWER[batch1.dtype.name]}, batch2: "
                           f"{_TYPE_LOWER[batch2.dtype.name]}")
    target = (b, n, batch2.shape[2])
    try:
        base = np.broadcast_to(self, target)
    except ValueError:
        dims = list(self.shape)
        for i in range(1, min(len(dims), 3) + 1):
            if dims[-i] != 1 and dims[-i] != target[-i]:
                raise RuntimeError(
                    f"The expanded size of the tensor ({target[-i]}) must match the existing size "
                    f"({dims[-i]}) at non-singleton dimension {3 - i}.  Target sizes: "
                    f"{list(target)}.  Tensor sizes: {dims}") from None
        raise
    prod = np.matmul(batch1, batch2)
    if alpha != 1:
        prod = prod * alpha
    if beta == 0:
        return prod
    return (base if beta == 1 else base * beta) + prod


_TYPE_LOWER = {"float32": "float", "float64": "double", "float16": "c10::Half",
               "complex64": "c10::complex<float>", "complex128": "c10::complex<double>",
               "int64": "long int", "int32": "int"}


@defop(node="VdotBackward0", grads={
    "self": lambda grad, other: conj(grad) * other,
    "other": lambda grad, self: grad * self,
})
def vdot(self, other):
    """``sum(conj(self) * other)`` of two 1-D tensors. Same as ``torch.vdot``.

    Example:
        >>> dagrad.vdot(dagrad.tensor([1 + 1j]), dagrad.tensor([1 + 1j]))
        tensor(2.+0.j)
    """
    if self.ndim != 1 or other.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {self.ndim}D and {other.ndim}D tensors")
    if self.shape[0] != other.shape[0]:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{self.shape[0]}] and src "
                           f"[{other.shape[0]}] to have the same number of elements, but got "
                           f"{self.shape[0]} and {other.shape[0]} elements respectively")
    if self.dtype != other.dtype:
        raise RuntimeError(f"dot : expected both vectors to have same dtype, but found "
                           f"{scalar_type_name(self.dtype)} and {scalar_type_name(other.dtype)}")
    return np.asarray(np.vdot(self, other), dtype=self.dtype)


@defop(node="LinalgCrossBackward0", grads={
    "self": lambda grad, other, dim: linalg_cross(conj(other), grad, dim),
    "other": lambda grad, self, dim: linalg_cross(grad, conj(self), dim),
})
def linalg_cross(self, other, dim=-1):
    """Cross product of 3-vectors along ``dim``, other dims broadcasting. Same as
    ``torch.linalg.cross``.

    Example:
        >>> dagrad.linalg.cross(dagrad.tensor([1., 0., 0.]), dagrad.tensor([0., 1., 0.]))
        tensor([0., 0., 1.])
    """
    if self.ndim != other.ndim:
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    d = _formulas.normalize_dims(dim, self.ndim)[0]
    if self.shape[d] != 3 or other.shape[d] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got "
                           f"{self.shape[d]} and {other.shape[d]}")
    if self.dtype != other.dtype:
        raise RuntimeError(f"expected scalar type {scalar_type_name(self.dtype)} but found "
                           f"{scalar_type_name(other.dtype)}")
    np.broadcast_shapes(self.shape, other.shape)      # PyTorch's message on mismatch
    return np.cross(self, other, axis=d)


def cross(input: Tensor, other: Tensor, dim: int | None = None) -> Tensor:
    """``torch.cross``: like ``linalg.cross``, but without ``dim`` it takes the first dim of size 3
    (deprecated in PyTorch, with the same warning)."""
    if dim is None:
        warnings.warn("Using torch.cross without specifying the dim arg is deprecated.\nPlease "
                      "either pass the dim explicitly or simply use torch.linalg.cross.\nThe "
                      "default value of dim will change to agree with that of linalg.cross in a "
                      "future release.", UserWarning, stacklevel=2)
        sizes = tuple(input.shape)
        if 3 not in sizes:
            raise RuntimeError("no dimension of size 3 in input")
        dim = sizes.index(3)
    return linalg_cross(input, other, dim)


def outer(input: Tensor, vec2: Tensor) -> Tensor:
    """Outer product of two 1-D tensors, (n,) x (m,) -> (n, m). PyTorch computes
    ``input.reshape(n, 1) * vec2``, so the node is ``MulBackward0``."""
    for name, t in (("self", input), ("vec2", vec2)):
        if t.dim() != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {t.dim()}-D")
    return reshape(input, (input.shape[0], 1)) * vec2


ger = outer


def kron(input: Tensor, other: Tensor) -> Tensor:
    """Kronecker product (any ranks; the shorter shape is padded with leading 1s).

    As PyTorch: both operands are viewed with interleaved singleton dims, multiplied, and the
    product viewed back (``UnsafeViewBackward0``).

    Example:
        >>> dagrad.kron(dagrad.eye(2), dagrad.ones(1, 2)).tolist()
        [[1.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 1.0]]
    """
    nd = max(input.dim(), other.dim())
    a = (1,) * (nd - input.dim()) + tuple(input.shape)
    b = (1,) * (nd - other.dim()) + tuple(other.shape)
    a_view = reshape(input, tuple(s for d in a for s in (d, 1)))
    b_view = reshape(other, tuple(s for d in b for s in (1, d)))
    return _unsafe_view(a_view * b_view, tuple(x * y for x, y in zip(a, b, strict=True)))


def tensordot(a: Tensor, b: Tensor, dims: Any = 2) -> Tensor:
    """Contract ``dims`` of ``a`` with ``dims`` of ``b``: an int ``k`` (last k of ``a`` with first k
    of ``b``) or a pair of dim lists. As PyTorch: permute, reshape to matrices, one ``mm``, view
    back (``ViewBackward0``).

    Example:
        >>> dagrad.tensordot(dagrad.ones(2, 3), dagrad.ones(3, 4), dims=1).shape
        dagrad.Size([2, 4])
    """
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > min(a.dim(), b.dim()):
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={dims}")
        dims_a, dims_b = list(range(-dims, 0)), list(range(dims))
    else:
        dims_a, dims_b = dims
        dims_a = [dims_a] if isinstance(dims_a, int) else list(dims_a)
        dims_b = [dims_b] if isinstance(dims_b, int) else list(dims_b)
    if len(dims_a) != len(dims_b):
        raise RuntimeError("both dimension lists should have same length")
    if a.dtype != b.dtype:
        raise RuntimeError("both inputs should have same dtype")
    ca = [_formulas.normalize_dims(d, a.dim())[0] for d in dims_a]
    cb = [_formulas.normalize_dims(d, b.dim())[0] for d in dims_b]
    t1, t2, csize = a, b, 1
    for i, (d1, d2) in enumerate(zip(ca, cb, strict=True)):
        s1, s2 = a.shape[d1], b.shape[d2]
        if s2 == 1:                     # a broadcast dim can be summed right away
            t1 = t1.sum(d1, keepdim=True)
        elif s1 == 1:
            t2 = t2.sum(d2, keepdim=True)
        elif s1 != s2:
            raise RuntimeError(f"contracted dimensions need to match, but first has size {s1} in "
                               f"dim {dims_a[i]} and second has size {s2} in dim {dims_b[i]}")
        else:
            csize *= s1
    free_a = [d for d in range(a.dim()) if d not in ca]
    free_b = [d for d in range(b.dim()) if d not in cb]
    size1 = math.prod(a.shape[d] for d in free_a)
    size2 = math.prod(b.shape[d] for d in free_b)
    t1 = reshape(permute(t1, tuple(free_a + ca)), (size1, csize))
    t2 = reshape(permute(t2, tuple(cb + free_b)), (csize, size2))
    rsizes = tuple(a.shape[d] for d in free_a) + tuple(b.shape[d] for d in free_b)
    return reshape(mm(t1, t2), rsizes)


# --------------------------------------------------------------------------- einsum
# Note [einsum]
# The equation is parsed once per (equation, shapes) into explicit subscripts: every ellipsis
# becomes letters unused elsewhere (right-aligned, so ellipsis dims broadcast), and an implicit
# output becomes PyTorch's (the ellipsis, then the letters that appear once, in ASCII order).
# Forward: one np.einsum. Backward: einsum is linear in each operand, so the gradient of operand k
# is the einsum of the output gradient with the conjugates of the other operands, written to k's
# subscripts. Two things einsum cannot write directly are added as constant operands: a letter
# that appears only in operand k (summed in the forward) comes back through ``ones(n)``, and a
# letter repeated in k (a diagonal) gets a fresh letter tied to it by ``eye(n)``. The gradient is
# itself an einsum, so it differentiates again.

_LABELS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"   # PyTorch's label order


@functools.lru_cache(maxsize=256)
def _parse_einsum(equation: str, shapes: tuple) -> tuple[tuple[str, ...], str]:
    """``(input subscripts, output subscripts)`` with no ellipsis; PyTorch's checks and text."""
    lhs, arrow, rhs = equation.partition("->")
    terms: list[list[str]] = [[]]
    ell_at: list[int] = [-1]
    i = 0
    while i < len(lhs):
        ch = lhs[i]
        if ch == " ":
            pass
        elif ch == ",":
            if len(terms) >= len(shapes):
                raise RuntimeError("einsum(): fewer operands were provided than specified in the "
                                   "equation")
            terms.append([])
            ell_at.append(-1)
        elif ch == ".":
            op = len(terms) - 1
            if ell_at[op] >= 0:
                raise RuntimeError(f"einsum(): found '.' for operand {op} for which an ellipsis "
                                   "was already found")
            if lhs[i:i + 3] != "...":
                raise RuntimeError(f"einsum(): found '.' for operand {op} that is not part of any "
                                   "ellipsis")
            ell_at[op] = len(terms[op])
            i += 2
        elif ch.isascii() and ch.isalpha():
            terms[-1].append(ch)
        else:
            raise RuntimeError(f"einsum(): invalid subscript given at index {i} in the equation "
                               "string, subscripts must be in [a-zA-Z]")
        i += 1
    if len(terms) < len(shapes):
        raise RuntimeError("einsum(): more operands were provided than specified in the equation")
    used = {c for t in terms for c in t} | {c for c in rhs if c.isascii() and c.isalpha()}
    free = [c for c in _LABELS if c not in used]
    ell_dims = 0
    for op, (t, shape) in enumerate(zip(terms, shapes, strict=True)):
        if ell_at[op] < 0 and len(t) != len(shape):
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({len(t)}) "
                               f"does not match the number of dimensions ({len(shape)}) for "
                               f"operand {op} and no ellipsis was given")
        if ell_at[op] >= 0 and len(t) > len(shape):
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({len(t)}) "
                               f"is more than the number of dimensions ({len(shape)}) for "
                               f"operand {op}")
        if ell_at[op] >= 0:
            ell_dims = max(ell_dims, len(shape) - len(t))
    ell = "".join(free[:ell_dims])
    ins = []
    for op, (t, shape) in enumerate(zip(terms, shapes, strict=True)):
        if ell_at[op] >= 0:
            k = len(shape) - len(t)
            t = t[:ell_at[op]] + list(ell[ell_dims - k:]) + t[ell_at[op]:]
        ins.append("".join(t))
    _check_einsum_sizes(ins, shapes, ell)
    if arrow:
        out = []
        seen_ell = False
        j = 0
        while j < len(rhs):
            ch = rhs[j]
            pos = len(lhs) + 2 + j
            if ch == ".":
                if rhs[j:j + 3] != "..." or seen_ell:
                    raise RuntimeError("einsum(): found '.' for output but it is not part of any "
                                       "ellipsis")
                seen_ell = True
                out.extend(ell)
                j += 3
                continue
            if ch != " ":
                if not (ch.isascii() and ch.isalpha()):
                    raise RuntimeError(f"einsum(): invalid subscript given at index {pos} in the "
                                       "equation string, subscripts must be in [a-zA-Z]")
                if ch in out:
                    raise RuntimeError(f"einsum(): output subscript {ch} appears more than once "
                                       "in the output")
                if not any(ch in t for t in ins):
                    raise RuntimeError(f"einsum(): output subscript {ch} does not appear in the "
                                       "equation for any input operand")
                out.append(ch)
            j += 1
        return tuple(ins), "".join(out)
    counts: dict[str, int] = {}
    for t in terms:
        for c in t:
            counts[c] = counts.get(c, 0) + 1
    return tuple(ins), ell + "".join(sorted(c for c, n in counts.items() if n == 1))


def _check_einsum_sizes(ins: list[str], shapes: tuple, ell: str) -> None:
    seen: dict[str, int] = {}
    for op, (t, shape) in enumerate(zip(ins, shapes, strict=True)):
        mine: dict[str, int] = {}
        for c, n in zip(t, shape, strict=True):
            if c in mine and mine[c] != n:
                raise RuntimeError(f"einsum(): subscript {c} is repeated for operand {op} but the "
                                   f"sizes don't match, {n} != {mine[c]}")
            mine[c] = n
        for c, n in mine.items():
            prev = seen.get(c, 1)
            if n != 1 and prev != 1 and n != prev:
                if c in ell:
                    k = len(ell) - ell.index(c)
                    d = sum(1 for x in t if x in ell) - k
                    raise RuntimeError(
                        f"einsum(): dimension {d} covered by ellipsis in operand {op}has size {n} "
                        f"which does not broadcast with previously seen ellipsis with size {prev} "
                        "for the respective dimension")
                raise RuntimeError(f"einsum(): subscript {c} has size {n} for operand {op} which "
                                   f"does not broadcast with previously seen size {prev}")
            if n != 1 or c not in seen:
                seen[c] = n


def _einsum_node(equation, operands) -> str:
    # PyTorch's einsum ends with sum (one operand, summed labels), permute (one operand), a view
    # that drops the contracted dims (several operands, contracted labels) or mul (no contraction).
    ins, out = _parse_einsum(equation, tuple(tuple(o.shape) for o in operands))
    contracted = any(c not in out for t in ins for c in t)
    if len(operands) == 1:
        return "SumBackward1" if contracted else "PermuteBackward0"
    return "ViewBackward0" if contracted else "MulBackward0"


def _einsum_backward(grad, equation, operands):
    ins, out = _parse_einsum(equation, tuple(tuple(o.shape) for o in operands))
    used = set("".join(ins) + out)
    free = iter(c for c in _LABELS if c not in used)
    dt = grad._data.dtype
    grads = []
    for k, op in enumerate(operands):
        if not (isinstance(op, Tensor) and op.requires_grad):
            grads.append(None)
            continue
        subs = [out] + [ins[j] for j in range(len(operands)) if j != k]
        args = [grad] + [conj(operands[j]) for j in range(len(operands)) if j != k]
        present = set("".join(subs))
        target, seen = [], set()
        for c, n in zip(ins[k], op.shape, strict=True):
            if c in seen:                                   # a diagonal: tie a fresh label
                f = next(free)
                target.append(f)
                subs.append(c + f)
                args.append(_const(np.eye(n, dtype=dt)))
                continue
            seen.add(c)
            target.append(c)
            if c not in present:                            # summed away: broadcast back
                subs.append(c)
                args.append(_const(np.ones(n, dtype=dt)))
                present.add(c)
        g = _einsum(",".join(subs) + "->" + "".join(target), tuple(args))
        if tuple(g.shape) != tuple(op.shape):
            # a label of size 1 here and n elsewhere came back with size 1 from an operand that
            # was itself broadcast: expand (the engine sums the opposite case, Note [Unbroadcast])
            g = g.expand(tuple(max(x, y) for x, y in zip(g.shape, op.shape, strict=True)))
        grads.append(g)
    return grads


@defop(name="_einsum", node=_einsum_node, lists=("operands",),
       grads={"operands": _einsum_backward})
def _einsum(equation, operands):
    if not operands:
        raise RuntimeError("einsum(): must provide at least one operand")
    ins, out = _parse_einsum(equation, tuple(o.shape for o in operands))
    first = operands[0].dtype
    for o in operands[1:]:
        if o.dtype != first:
            raise RuntimeError(f"expected scalar type {scalar_type_name(first)} but found "
                               f"{scalar_type_name(o.dtype)}")
    # NumPy's plain einsum is one C loop over every label combination; optimize=True contracts
    # pairwise through BLAS but costs ~10 us of planning, worth it only for larger problems
    sizes: dict[str, int] = {}
    for t, o in zip(ins, operands, strict=True):
        for c, n in zip(t, o.shape, strict=True):
            sizes[c] = max(sizes.get(c, 1), n)
    optimize = len(operands) > 2 or (len(operands) == 2 and math.prod(sizes.values()) > 1 << 14)
    res = np.einsum(",".join(ins) + "->" + out, *operands, optimize=optimize)
    return np.asarray(res, dtype=operands[0].dtype)


def _sublist_equation(args: tuple) -> tuple[str, tuple]:
    """``einsum(op1, [0, 1], op2, [1, 2], [0, 2])`` -> ``("AB,BC->AC", (op1, op2))``."""
    def sub(lst: Sequence) -> str:
        s = []
        for v in lst:
            if v is Ellipsis:
                s.append("...")
            elif isinstance(v, int) and 0 <= v < 52:
                s.append(_LABELS[v])
            else:
                raise ValueError("einsum(): subscript in subscript list is not within the valid "
                                 "range [0, 52)")
        return "".join(s)
    ops = args[0::2]
    subs = [sub(s) for s in args[1::2]]
    if len(args) % 2:
        ops = ops[:-1]
        return ",".join(subs) + "->" + sub(args[-1]), tuple(ops)
    return ",".join(subs), tuple(ops)


def einsum(*args: Any) -> Tensor:
    """Sum of products over the labels of an Einstein-summation ``equation``. Same as
    ``torch.einsum``: ``einsum(eq, *operands)``, ``einsum(eq, [operands])`` or the sublist form
    ``einsum(op1, [0, 1], op2, [1, 2], [0, 2])``; ``...`` broadcasts, size-1 labels broadcast.

    Example:
        >>> a, b = dagrad.ones(2, 3), dagrad.ones(3, 4)
        >>> dagrad.einsum("ij,jk->ik", a, b).shape
        dagrad.Size([2, 4])
    """
    if len(args) < 2:
        raise ValueError("einsum(): must specify the equation string and at least one operand, "
                         "or at least one operand and its subscripts list")
    if isinstance(args[0], str):
        equation, ops = args[0], args[1:]
        if len(ops) == 1 and isinstance(ops[0], (list, tuple)):
            ops = tuple(ops[0])
    else:
        equation, ops = _sublist_equation(args)
    return _einsum(equation, tuple(ops))


# --------------------------------------------------------------------------- determinants, inverse


def _det_backward(grad, A, result):
    if A._data.size == 0:
        return None
    if not (result._data == 0).any():
        # gA = gdet * conj(det) * A^{-H}
        g = grad * conj(result)
        return unsqueeze(unsqueeze(g, -1), -1) * _mH(linalg_inv(A))
    # A singular matrix has no inverse but det is smooth: the gradient is the cofactor matrix,
    # alpha U diag(prod_{j!=i} S_j) Vh from the SVD (PyTorch's singular branch).
    U, S, Vh = linalg_svd(A, False)
    alpha = conj(linalg_det(U) * linalg_det(Vh))
    D = unsqueeze(alpha * grad, -1) * _prod_others(S)
    return matmul(U * unsqueeze(D, -2), Vh)


@defop(node="LinalgDetBackward0", grads={"A": _det_backward})
def linalg_det(A):
    """Determinant of each square matrix in a batch: (*, n, n) -> (*). Same as
    ``torch.linalg.det``; differentiable at singular matrices too.

    Example:
        >>> dagrad.linalg.det(dagrad.tensor([[2., 0.], [0., 3.]]))
        tensor(6.)
    """
    _check_matrix(A, "linalg.det")
    return np.asarray(np.linalg.det(A), dtype=A.dtype)


@defop(node="LinalgInvExBackward0", grads={
    "A": lambda grad, result: -matmul(_mH(result), matmul(grad, _mH(result)))})
def linalg_inv(A):
    """Inverse of each square matrix in a batch. Same as ``torch.linalg.inv``.

    Raises:
        LinAlgError: for a singular matrix, with LAPACK's index, as PyTorch words it.

    Example:
        >>> dagrad.linalg.inv(dagrad.tensor([[2., 0.], [0., 4.]]))
        tensor([[0.5000, 0.0000],
                [0.0000, 0.2500]])
    """
    _check_matrix(A, "linalg.inv")
    try:
        return np.linalg.inv(A)
    except np.linalg.LinAlgError:
        raise _singular_inv_error(A) from None


def _slogdet_backward(grads, A, result):
    g_sign, g_logabs = grads
    if A._data.dtype.kind == "c":
        # d log det = tr(A^{-1} dA) = d log|det| + i d(angle): gA = conj(g) A^{-H}
        g = conj(g_logabs - 1j * imag(g_sign * conj(_outputs(result)[0])))
    else:
        g = g_logabs                             # the sign of a real matrix is locally constant
    return unsqueeze(unsqueeze(g, -1), -1) * _mH(linalg_inv(A))


SlogdetResult = namedtuple("linalg_slogdet", ["sign", "logabsdet"])


@defop(node="LinalgSlogdetBackward0", outputs=2, grads={"A": _slogdet_backward},
       returns=SlogdetResult)
def linalg_slogdet(A):
    """``(sign, log|det|)`` of each square matrix; ``sign`` is complex for complex input. Same as
    ``torch.linalg.slogdet``.

    Example:
        >>> dagrad.linalg.slogdet(dagrad.tensor([[-2., 0.], [0., 3.]])).logabsdet
        tensor(1.7918)
    """
    _check_matrix(A, "linalg.slogdet")
    sign, logabs = np.linalg.slogdet(A)
    return np.asarray(sign, dtype=A.dtype), np.asarray(logabs, dtype=_real_dtype(A.dtype))


def logdet(input: Tensor) -> Tensor:
    """``log(det(A))``: nan for a negative determinant (real input), as ``torch.logdet``."""
    sign, logabsdet = linalg_slogdet(input)
    if input.is_complex():
        from dagrad.ops.pointwise import log
        return log(sign) + logabsdet
    return where(eq(sign, -1.0), float("nan"), logabsdet)


# --------------------------------------------------------------------------- solvers


def _vector_rhs(A_shape: tuple, B_shape: tuple) -> bool:
    """PyTorch's ``linalg_solve_is_vector_rhs``: B is a (batch of) vector(s)."""
    return len(B_shape) == 1 or (len(A_shape) - 1 == len(B_shape)
                                 and tuple(B_shape) == tuple(A_shape[:-1]))


def _solve_A_backward(grad, A, result, left):
    gB = linalg_solve(_mH(A), grad, left)
    if _vector_rhs(tuple(A.shape), tuple(result.shape)):
        gB = unsqueeze(gB, -1 if left else -2)
        result = unsqueeze(result, -1 if left else -2)
    return -matmul(gB, _mH(result)) if left else -matmul(_mH(result), gB)


@defop(node="LinalgSolveExBackward0", grads={
    "A": _solve_A_backward,
    "B": lambda grad, A, left: linalg_solve(_mH(A), grad, left),
})
def linalg_solve(A, B, left=True):
    """Solve ``A X = B`` (``X A = B`` with ``left=False``) for square ``A``; batch dims broadcast.
    ``B`` of shape (n,) or (*, n) matching ``A.shape[:-1]`` is a (batch of) vector(s). Same as
    ``torch.linalg.solve``.

    Example:
        >>> dagrad.linalg.solve(dagrad.tensor([[2., 0.], [0., 4.]]), dagrad.tensor([2., 2.]))
        tensor([1.0000, 0.5000])
    """
    _check_matrix(A, "linalg.solve")
    if A.dtype != B.dtype:
        raise RuntimeError(f"linalg.solve: Expected A and B to have the same dtype, but found A of "
                           f"type {scalar_type_name(A.dtype)} and B of type "
                           f"{scalar_type_name(B.dtype)} instead")
    vec = _vector_rhs(A.shape, B.shape)
    Bm = (B[..., None] if left else B[..., None, :]) if vec else B
    n = A.shape[-1]
    if (Bm.shape[-2] if left else Bm.shape[-1]) != n:
        raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation "
                           f"{'AX = B' if left else 'XA = B'} ({n}x{n} and {Bm.shape[-2]}x"
                           f"{Bm.shape[-1]})")
    np.broadcast_shapes(A.shape[:-2], Bm.shape[:-2])      # PyTorch's message on mismatch
    try:
        if left:
            X = np.linalg.solve(A, Bm)
        else:
            X = np.swapaxes(np.linalg.solve(np.swapaxes(A, -1, -2), np.swapaxes(Bm, -1, -2)),
                            -1, -2)
    except np.linalg.LinAlgError:
        batch, _ = _first_failure(A, _lu_info)
        raise LinAlgError(f"dagrad.linalg.solve: {batch}The solver failed because the input "
                          "matrix is singular.") from None
    return (X[..., 0] if left else X[..., 0, :]) if vec else X


def _solve_tri_A_backward(grad, A, result, upper, left, unitriangular):
    gB = linalg_solve_triangular(_mH(A), grad, not upper, left, unitriangular)
    gA = -matmul(gB, _mH(result)) if left else -matmul(_mH(result), gB)
    u = int(unitriangular)
    return _triu(gA, u) if upper else _tril(gA, -u)


@defop(node="LinalgSolveTriangularBackward0", grads={
    "A": _solve_tri_A_backward,
    "B": lambda grad, A, upper, left, unitriangular: linalg_solve_triangular(
        _mH(A), grad, not upper, left, unitriangular),
})
def linalg_solve_triangular(A, B, upper, left=True, unitriangular=False):
    """Solve ``A X = B`` (or ``X A = B``) with ``A`` upper or lower triangular; the other triangle
    of ``A`` is not read, nor its diagonal when ``unitriangular``. Same as
    ``torch.linalg.solve_triangular`` (``upper`` is keyword-only there).
    """
    for name, t in (("A", A), ("B", B)):
        if t.ndim < 2:
            raise RuntimeError(f"linalg.solve_triangular: The input tensor {name} must have at "
                               "least 2 dimensions.")
    _check_matrix(A, "linalg.solve_triangular")
    if A.dtype != B.dtype:
        raise RuntimeError(f"linalg.solve_triangular: Expected A and B to have the same dtype, but "
                           f"found A of type {scalar_type_name(A.dtype)} and B of type "
                           f"{scalar_type_name(B.dtype)} instead")
    n = A.shape[-1]
    if (B.shape[-2] if left else B.shape[-1]) != n:
        raise RuntimeError(f"linalg.solve_triangular: Incompatible shapes of A and B for the "
                           f"equation {'AX = B' if left else 'XA = B'} ({n}x{n} and "
                           f"{B.shape[-2]}x{B.shape[-1]})")
    T = _triangle(A, upper, unitriangular)
    if left:
        return _tri_solve_np(T, B, lower=not upper)
    return np.swapaxes(_tri_solve_np(np.swapaxes(T, -1, -2), np.swapaxes(B, -1, -2),
                                     lower=upper), -1, -2)


def _triangle(A: np.ndarray, upper: bool, unit: bool) -> np.ndarray:
    T = np.triu(A) if upper else np.tril(A)
    if unit:
        idx = np.arange(A.shape[-1])
        T[..., idx, idx] = 1
    return T


def _triangular_solve_b(grads, A, upper, transpose, unitriangular):
    gX = grads[0]
    if not _defined(gX):
        return None
    return triangular_solve(gX, conj(A), upper, not transpose, unitriangular)[0]


def _triangular_solve_A(grads, A, result, upper, transpose, unitriangular):
    gX, gM = grads
    gA = None
    if _defined(gX):
        gb = triangular_solve(gX, conj(A), upper, not transpose, unitriangular)[0]
        X = _outputs(result)[0]
        gA = -matmul(conj(X), _mT(gb)) if transpose else -matmul(gb, _mH(X))
        u = int(unitriangular)
        gA = _triu(gA, u) if upper else _tril(gA, -u)
    if _defined(gM):
        gA = gM if gA is None else gA + gM
    return gA


TriangularSolveResult = namedtuple("triangular_solve", ["solution", "cloned_coefficient"])


@defop(node="TriangularSolveBackward0", outputs=2, returns=TriangularSolveResult,
       grads={"self": _triangular_solve_b, "A": _triangular_solve_A})
def triangular_solve(self, A, upper=True, transpose=False, unitriangular=False):
    """The legacy ``torch.triangular_solve(b, A)``: solve ``op(A) X = b`` with ``op`` the identity
    or the transpose; returns ``(solution, cloned_coefficient)``, the second a copy of ``A``
    broadcast to the batch shape.
    """
    for name, t in (("b", self), ("A", A)):
        if t.ndim < 2:
            raise RuntimeError(f"dagrad.triangular_solve: Expected {name} to have at least 2 "
                               f"dimensions, but it has {t.ndim} dimensions instead")
    _linear_solve_checks(self, A, "triangular_solve")
    batch = np.broadcast_shapes(self.shape[:-2], A.shape[:-2])
    T = _triangle(A, upper, unitriangular)
    if transpose:
        T = np.swapaxes(T, -1, -2)
    X = _tri_solve_np(T, self, lower=(upper == transpose))
    X = np.broadcast_to(X, batch + X.shape[-2:]).copy()
    return X, np.broadcast_to(A, batch + A.shape[-2:]).copy()


def _linear_solve_checks(b: np.ndarray, A: np.ndarray, name: str) -> None:
    """PyTorch's linearSolveCheckInputs (square A, matching sizes, one dtype), then a floating
    dtype, for ``name`` (triangular_solve, cholesky_solve)."""
    if A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"A must be batches of square matrices, but they are {A.shape[-2]} by "
                           f"{A.shape[-1]} matrices")
    if A.shape[-1] != b.shape[-2]:
        raise RuntimeError(f"Incompatible matrix sizes for {name}: each A matrix is "
                           f"{A.shape[-1]} by {A.shape[-1]} but each b matrix is "
                           f"{b.shape[-2]} by {b.shape[-1]}")
    if b.dtype != A.dtype:
        raise RuntimeError(f"Expected b and A to have the same dtype, but found b of type "
                           f"{scalar_type_name(b.dtype)} and A of type "
                           f"{scalar_type_name(A.dtype)} instead.")
    _check_floating(A, name)


def _cholesky_solve_L(grad, input2, result, upper):
    gB = cholesky_solve(grad, input2, upper)
    common = matmul(gB, _mH(result))
    common = common + _mH(common)
    return -matmul(input2, common) if upper else -matmul(common, input2)


@defop(node="CholeskySolveBackward0", grads={
    "self": lambda grad, input2, upper: cholesky_solve(grad, input2, upper),
    "input2": _cholesky_solve_L,
})
def cholesky_solve(self, input2, upper=False):
    """Solve ``A X = B`` given ``B`` (``self``) and the Cholesky factor of ``A`` (``input2``,
    lower unless ``upper``). Batch dims broadcast. Same as ``torch.cholesky_solve``.
    """
    if self.ndim < 2:
        raise RuntimeError(f"b should have at least 2 dimensions, but has {self.ndim} dimensions "
                           "instead")
    if input2.ndim < 2:
        raise RuntimeError(f"u should have at least 2 dimensions, but has {input2.ndim} dimensions "
                           "instead")
    _linear_solve_checks(self, input2, "cholesky_solve")
    L = np.tril(input2) if not upper else np.conj(np.swapaxes(np.triu(input2), -1, -2))
    Y = _tri_solve_np(L, self, lower=True)
    return _tri_solve_np(np.conj(np.swapaxes(L, -1, -2)), Y, lower=False)


# --------------------------------------------------------------------------- factorizations


def _cholesky_backward(grad, result, upper):
    # Murray (2016), as PyTorch's cholesky_backward: gA = L^{-H} Phi(L^H gL) L^{-1}, symmetrized
    L, gL = (_mH(result), _mH(grad)) if upper else (result, grad)
    gA = _tril(matmul(_mH(L), gL))
    gA = 0.5 * (gA + _mH(_tril(gA, -1)))
    gA = linalg_solve_triangular(_mH(L), gA, True, True, False)
    return linalg_solve_triangular(L, gA, False, False, False)


@defop(node="LinalgCholeskyExBackward0", grads={"A": _cholesky_backward})
def linalg_cholesky(A, upper=False):
    """Cholesky factor ``L`` (lower, ``A = L L^H``) or, with ``upper=True``, ``U`` (``A = U^H U``)
    of each Hermitian positive-definite matrix. Only the lower (upper) triangle of ``A`` is read.
    Same as ``torch.linalg.cholesky``.

    Raises:
        LinAlgError: when a leading minor is not positive-definite, as PyTorch words it.
    """
    _check_matrix(A, "linalg.cholesky")
    M = np.conj(np.swapaxes(A, -1, -2)) if upper else A
    try:
        L = np.linalg.cholesky(M)
    except np.linalg.LinAlgError:
        raise _cholesky_error(M) from None
    if np.isnan(L).any():            # NumPy lets a nan through where LAPACK's potrf reports it
        err = _cholesky_error(M)
        if err is not None:
            raise err
    return np.conj(np.swapaxes(L, -1, -2)) if upper else L


def _syminvadj(X: Tensor) -> Tensor:
    # X + X^H with the real part of the diagonal halved
    return X + _mH(X) - _diag_embed(real(_diagonal(X)))


def _qr_backward(grads, result, mode):
    if mode == "r":
        raise RuntimeError("The derivative of linalg.qr depends on Q, which is not computed when "
                           "mode='r'. Please use linalg.qr(A, mode='reduced') if you are going to "
                           "differentiate through linalg.qr.")
    gQ, gR = grads
    Q, R = _outputs(result)
    m, n = Q.shape[-2], R.shape[-1]
    if mode == "complete" and m > n:
        raise RuntimeError("The QR decomposition is not differentiable when mode='complete' and "
                           "nrows > ncols.")
    has_q, has_r = _defined(gQ), _defined(gR)
    if not (has_q or has_r):
        return None
    if m >= n:
        return _qr_tall_backward(Q, R, gQ if has_q else None, gR if has_r else None)
    # wide: A = [X | Y] with X = Q U square, Y = Q V; V = Q^H Y feeds back into Q's gradient
    U, V = narrow(R, -1, 0, m), narrow(R, -1, m, n - m)
    gU, gV = (narrow(gR, -1, 0, m), narrow(gR, -1, m, n - m)) if has_r else (None, None)
    if has_r:
        extra = matmul(matmul(Q, V), _mH(gV))
        gQ = gQ + extra if has_q else extra
    elif not has_q:
        gQ = None
    gX = _qr_tall_backward(Q, U, gQ, gU)
    if not has_r:
        pad = _const(np.zeros(tuple(gX.shape[:-1]) + (n - m,), gX._data.dtype))
        return cat([gX, pad], -1)
    return cat([gX, matmul(Q, gV)], -1)


def _qr_tall_backward(Q: Tensor, R: Tensor, gQ: Tensor | None, gR: Tensor | None) -> Tensor:
    # m >= n (PyTorch's linalg_qr_backward): gA = (gQ + Q syminvadj(triu(gR R^H - Q^H gQ))) R^{-H}
    if gR is not None:
        M = matmul(gR, _mH(R))
        if gQ is not None:
            M = M - matmul(_mH(Q), gQ)
    else:
        M = -matmul(_mH(Q), gQ)
    gA = matmul(Q, _syminvadj(_triu(M)))
    if gQ is not None:
        gA = gA + gQ
    return linalg_solve_triangular(_mH(R), gA, False, False, False)


QRResult = namedtuple("linalg_qr", ["Q", "R"])


@defop(node="LinalgQrBackward0", outputs=2, returns=QRResult, grads={"A": _qr_backward})
def linalg_qr(A, mode="reduced"):
    """QR decomposition ``A = Q R`` of each (m, n) matrix: ``mode='reduced'`` (Q: (m, k), R:
    (k, n), k = min(m, n)), ``'complete'`` (Q: (m, m)) or ``'r'`` (Q empty). Same as
    ``torch.linalg.qr``; R's diagonal may be negative (LAPACK's Householder convention).
    """
    if A.ndim < 2:
        raise RuntimeError("linalg.qr: The input tensor A must have at least 2 dimensions.")
    _check_floating(A, "linalg.qr")
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of "
                           "'reduced' (default), 'r', or 'complete'")
    if mode == "r":
        return np.zeros((0,), A.dtype), np.linalg.qr(A, mode="r")
    Q, R = np.linalg.qr(A, mode=mode)
    return Q, R


def _eigh_backward(grads, result):
    # PyTorch's linalg_eig_backward, Hermitian case
    gL, gV = grads
    L, V = _outputs(result)
    if not _defined(gV):
        return matmul(V * unsqueeze(gL, -2), _mH(V))
    VhgV = matmul(_mH(V), gV)
    if V._data.dtype.kind == "c":
        im = np.imag(np.diagonal(VhgV._data, 0, -2, -1))
        if not np.allclose(im, 0, rtol=1e-2, atol=1e-2):
            raise RuntimeError("linalg_eigh_backward: The eigenvectors in the complex case are "
                               "specified up to multiplication by e^{i phi}. The specified loss "
                               "function depends on this quantity, so it is ill-defined.")
    VhgV = 0.5 * (VhgV - _mH(VhgV))                 # its skew-Hermitian part
    mask = _eye_mask(L.shape[-1])
    E = where(mask, 1.0, unsqueeze(L, -2) - unsqueeze(L, -1))      # E_ij = L_j - L_i
    ret = VhgV / E
    if _defined(gL):
        ret = where(mask, _diag_embed(gL), ret)
    return matmul(V, matmul(ret, _mH(V)))


EighResult = namedtuple("linalg_eigh", ["eigenvalues", "eigenvectors"])


@defop(node="LinalgEighBackward0", outputs=2, returns=EighResult, grads={"A": _eigh_backward})
def linalg_eigh(A, UPLO="L"):
    """Eigenvalues (ascending, real) and orthonormal eigenvectors of each Hermitian matrix; only
    the ``UPLO`` triangle is read. Same as ``torch.linalg.eigh``. Eigenvectors are defined up to
    sign (phase): differentiate functions that do not depend on it.
    """
    _check_matrix(A, "linalg.eigh")
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    w, V = np.linalg.eigh(A, UPLO=UPLO)
    return w, V


def _svd_backward(grads, result, full_matrices):
    # PyTorch's svd_backward (FunctionsManual.cpp), on the first k = min(m, n) singular vectors
    gU, gS, gVh = grads
    U, S, Vh = _outputs(result)
    k = S.shape[-1]
    if full_matrices:
        U, Vh = narrow(U, -1, 0, k), narrow(Vh, -2, 0, k)
        gU, gVh = narrow(gU, -1, 0, k), narrow(gVh, -2, 0, k)
    m, n = U.shape[-2], Vh.shape[-1]
    has_u, has_v, has_s = _defined(gU), _defined(gVh), _defined(gS)
    if not has_u and not has_v:
        if m >= n:
            return matmul(U, unsqueeze(gS, -1) * Vh)
        return matmul(U * unsqueeze(gS, -2), Vh)
    is_complex = U._data.dtype.kind == "c"
    UhgU = matmul(_mH(U), gU) if has_u else None
    VhgV = matmul(Vh, _mH(gVh)) if has_v else None
    UhgU = UhgU - _mH(UhgU) if has_u else None
    VhgV = VhgV - _mH(VhgV) if has_v else None
    if is_complex:
        iu = np.imag(np.diagonal(UhgU._data, 0, -2, -1)) if has_u else 0.0
        iv = np.imag(np.diagonal(VhgV._data, 0, -2, -1)) if has_v else 0.0
        if not np.allclose(iu, -np.asarray(iv), rtol=1e-2, atol=1e-2):
            raise RuntimeError("svd_backward: The singular vectors in the complex case are "
                               "specified up to multiplication by e^{i phi}. The specified loss "
                               "function depends on this phase term, making it ill-defined.")
    S2 = S * S
    E = where(_eye_mask(k), 1.0, unsqueeze(S2, -2) - unsqueeze(S2, -1))   # E_jk = S_k^2 - S_j^2
    if has_u and has_v:
        ret = (UhgU * unsqueeze(S, -2) + unsqueeze(S, -1) * VhgV) / E
    elif has_u:
        ret = UhgU * unsqueeze(S, -2) / E
    else:
        ret = unsqueeze(S, -1) * VhgV / E
    if has_s:
        ret = ret + _diag_embed(gS)
    if is_complex and has_u:
        ret = ret + _diag_embed(_diagonal(UhgU) / (2 * S))
    if m > n and has_u:
        gA = matmul(U, ret)
        gUSinv = gU / unsqueeze(S, -2)
        gA = gA + gUSinv - matmul(U, matmul(_mH(U), gUSinv))
        return matmul(gA, Vh)
    if m < n and has_v:
        gA = matmul(ret, Vh)
        SinvgVh = gVh / unsqueeze(S, -1)
        gA = gA + SinvgVh - matmul(matmul(SinvgVh, _mH(Vh)), Vh)
        return matmul(U, gA)
    return matmul(U, matmul(ret, Vh)) if m >= n else matmul(matmul(U, ret), Vh)


SVDResult = namedtuple("linalg_svd", ["U", "S", "Vh"])


@defop(node="LinalgSvdBackward0", outputs=3, returns=SVDResult, grads={"A": _svd_backward})
def linalg_svd(A, full_matrices=True):
    """Singular value decomposition ``A = U diag(S) Vh`` of each (m, n) matrix, S descending.
    Same as ``torch.linalg.svd``. Singular vectors are defined up to sign (phase): differentiate
    functions that do not depend on it (``U @ diag(S) @ Vh``, ``S``, ``|U|``...).

    Shape:
        full_matrices=True: U (*, m, m), S (*, k), Vh (*, n, n); False: U (*, m, k), Vh (*, k, n)
    """
    if A.ndim < 2:
        raise RuntimeError("linalg.svd: The input tensor A must have at least 2 dimensions.")
    _check_floating(A, "linalg.svd")
    U, S, Vh = np.linalg.svd(A, full_matrices=full_matrices)
    return U, S, Vh


def _pinv_backward(grad, A, result):
    # PyTorch's pinv_backward
    m, n = A.shape[-2], A.shape[-1]
    pinvA, pinvAh, gradh = result, _mH(result), _mH(grad)
    if m <= n:
        K = matmul(gradh, pinvA)
        KpinvAh = matmul(K, pinvAh)
        return (-_mH(matmul(pinvA, K)) + KpinvAh - matmul(matmul(A, pinvA), KpinvAh)
                + matmul(matmul(pinvAh, pinvA), gradh - matmul(K, A)))
    K = matmul(pinvA, gradh)
    pinvAhK = matmul(pinvAh, K)
    return (-_mH(matmul(K, pinvA)) + matmul(matmul(gradh - matmul(A, K), pinvA), pinvAh)
            + pinvAhK - matmul(matmul(pinvAhK, pinvA), A))


@defop(node="LinalgPinvBackward0", tensors=("atol", "rtol"), grads={"A": _pinv_backward})
def linalg_pinv(A, atol=None, rtol=None, hermitian=False):
    """Moore-Penrose pseudo-inverse (*, m, n) -> (*, n, m): singular values at or below
    ``max(atol, rtol * S_max)`` are treated as zero (``rtol`` defaults to ``eps * max(m, n)``, or
    0 when only a positive ``atol`` is given). Same as ``torch.linalg.pinv``.
    """
    if A.ndim < 2 or A.dtype.kind not in "fc" or A.dtype == np.float16:
        raise RuntimeError(f"linalg.pinv({scalar_type_name(A.dtype)}{{{list(A.shape)}}}): "
                           "expected a tensor with 2 or more dimensions of float, double, cfloat "
                           "or cdouble types")
    m, n = A.shape[-2], A.shape[-1]
    rdt = _real_dtype(A.dtype)
    if rtol is None:
        rtol = 0.0 if atol is not None and np.all(np.asarray(atol) > 0) else \
            float(np.finfo(rdt).eps) * max(m, n)
    atol = 0.0 if atol is None else atol
    atol = np.asarray(atol, rdt)[..., None]
    rtol = np.asarray(rtol, rdt)[..., None]
    if A.size == 0:
        return np.zeros(A.shape[:-2] + (n, m), A.dtype)
    with np.errstate(divide="ignore"):
        if hermitian:
            w, V = np.linalg.eigh(A)
            tol = np.maximum(atol, rtol * np.abs(w).max(-1, keepdims=True))
            inv = np.where(np.abs(w) > tol, 1 / w, 0).astype(rdt)
            return np.matmul(V * inv[..., None, :], np.conj(np.swapaxes(V, -1, -2)))
        U, S, Vh = np.linalg.svd(A, full_matrices=False)
        tol = np.maximum(atol, rtol * S[..., :1])
        inv = np.where(S > tol, 1 / S, 0).astype(rdt)
    return np.matmul(np.conj(np.swapaxes(Vh, -1, -2)) * inv[..., None, :],
                     np.conj(np.swapaxes(U, -1, -2)))


def pinverse(input: Tensor, rcond: float = 1e-15, hermitian: bool = False) -> Tensor:
    """``torch.pinverse``: ``linalg.pinv`` with ``rtol=rcond``."""
    return linalg_pinv(input, None, rcond, hermitian)


def linalg_svdvals(A: Tensor) -> Tensor:
    """Singular values, descending (*, k). Same as ``torch.linalg.svdvals`` (node
    ``LinalgSvdBackward0``: the vectors are computed for the backward, as in PyTorch)."""
    return linalg_svd(A, False)[1]


def linalg_eigvalsh(A: Tensor, UPLO: str = "L") -> Tensor:
    """Eigenvalues of each Hermitian matrix, ascending. Same as ``torch.linalg.eigvalsh``."""
    return linalg_eigh(A, UPLO)[0]


# --------------------------------------------------------------------------- norms (composite)


def _matrix_norm_checks(A: Tensor, dim: Any, fname: str = "linalg.matrix_norm") -> tuple[int, int]:
    if A.dim() < 2:
        raise RuntimeError(f"{fname}: The input tensor A must have at least 2 dimensions.")
    _check_floating(A._data, fname)
    dims = [dim] if isinstance(dim, int) else list(dim)
    if len(dims) != 2:
        raise RuntimeError(f"{fname}: dim must be a 2-tuple. Got {' '.join(map(str, dims))}")
    d0 = _formulas.normalize_dims(dims[0], A.dim())[0]
    d1 = _formulas.normalize_dims(dims[1], A.dim())[0]
    if d0 == d1:
        raise RuntimeError(f"{fname}: dims must be different. Got ({d0}, {d1})")
    return d0, d1


def _backshift(d0: int, d1: int, ndim: int) -> tuple[int, ...]:
    return tuple(d for d in range(ndim) if d not in (d0, d1)) + (d0, d1)


def _inverse_perm(perm: tuple[int, ...]) -> tuple[int, ...]:
    inv = [0] * len(perm)
    for i, p in enumerate(perm):
        inv[p] = i
    return tuple(inv)


def _fmt_ord(o: float) -> str:
    return f"{o:g}"


def linalg_matrix_norm(A: Tensor, ord: Any = "fro", dim: Any = (-2, -1), keepdim: bool = False,
                       *, dtype: Any = None) -> Tensor:
    """Matrix norm over the two dims ``dim``: ``'fro'``, ``'nuc'``, 1, -1, 2, -2, inf, -inf.
    Same as ``torch.linalg.matrix_norm``, composed the same way (so the node is PyTorch's:
    ``LinalgVectorNormBackward0`` for 'fro', ``SumBackward1`` for 'nuc', ``AmaxBackward0`` /
    ``AminBackward0`` for the others, ``PermuteBackward0`` with ``keepdim`` for 'nuc', ±2).

    Example:
        >>> dagrad.linalg.matrix_norm(dagrad.tensor([[1., -2.], [3., 4.]]), ord=1)
        tensor(6.)
    """
    if dtype is not None:
        A = A.to(dtype)
    if isinstance(ord, str):
        if ord not in ("fro", "nuc"):
            raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
        d0, d1 = _matrix_norm_checks(A, dim)
        if ord == "fro":
            return linalg_vector_norm(A, 2, (d0, d1), keepdim)
        perm = _backshift(d0, d1, A.dim())
        result = linalg_svdvals(permute(A, perm)).sum(-1, keepdim=keepdim)
        if keepdim:
            result = permute(unsqueeze(result, -1), _inverse_perm(perm))
        return result
    o = float(ord)
    if abs(o) not in (1.0, 2.0, math.inf):
        raise RuntimeError(f"linalg.matrix_norm: Order {_fmt_ord(o)} not supported.")
    d0, d1 = _matrix_norm_checks(A, dim)
    extreme = _amax if o > 0 else _amin
    if abs(o) == 2.0:
        perm = _backshift(d0, d1, A.dim())
        result = extreme(linalg_svdvals(permute(A, perm)), -1, keepdim)
        if keepdim:
            result = permute(unsqueeze(result, -1), _inverse_perm(perm))
        return result
    if abs(o) == math.inf:
        d0, d1 = d1, d0
    if not keepdim and d0 < d1:
        d1 -= 1
    return extreme(linalg_vector_norm(A, 1, (d0,), keepdim), d1, keepdim)


def linalg_norm(A: Tensor, ord: Any = None, dim: Any = None, keepdim: bool = False, *,
                dtype: Any = None) -> Tensor:
    """Vector or matrix norm, chosen as ``torch.linalg.norm`` does: a matrix norm when ``ord`` is
    given with two dims (or a 2-D input and no ``dim``), else a vector norm (2-norm by default).
    """
    if isinstance(dim, int):
        dim = (dim,)
    if dim is not None:
        dim = tuple(dim)
        if len(dim) not in (1, 2):
            raise RuntimeError(f"linalg.norm: If dim is specified, it must be of length 1 or 2. "
                               f"Got {list(dim)}")
    elif ord is not None and A.dim() not in (1, 2):
        raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must be 1D "
                           f"or 2D. Got {A.dim()}D.")
    if isinstance(ord, str):
        return linalg_matrix_norm(A, ord, dim if dim is not None else (0, 1), keepdim,
                                  dtype=dtype)
    if ord is not None and ((dim is not None and len(dim) == 2) or (dim is None and A.dim() == 2)):
        return linalg_matrix_norm(A, ord, dim if dim is not None else (0, 1), keepdim,
                                  dtype=dtype)
    if dtype is not None:
        A = A.to(dtype)
    return linalg_vector_norm(A, 2 if ord is None else ord, dim, keepdim)

