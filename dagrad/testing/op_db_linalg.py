"""OpInfo entries for linear algebra (``dagrad/ops/linalg_decomp.py``, ``dagrad.linalg``) and
complex ops (``dagrad/ops/complex_ops.py``), in the format of ``dagrad.testing.op_db``.

Decompositions are defined up to a gauge (the sign or phase of each eigen/singular vector, of
each column of Q), and LAPACK builds may pick different ones, so their entries call a
gauge-fixed function of the outputs (each vector multiplied by the conjugate phase of its first
component; Q and R by the phase of R's diagonal) and feed Hermitian-input ops ``(A + A^H) / 2``,
as PyTorch's own OpInfos do (``gradcheck_wrapper_hermitian_input``). Those callables run on
either library: ``_lib(t)`` is ``dagrad`` for a dagrad Tensor and ``torch`` for a PyTorch one, so
the entries name no PyTorch twin.

Samples are small and well conditioned (separated eigenvalues and singular values, diagonally
dominant matrices), so finite differences and float32 comparisons are meaningful.
"""
from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

import dagrad
from dagrad._tensor import Tensor
from dagrad.ops import complex_ops as C
from dagrad.ops import linalg_decomp as D
from dagrad.testing.op_db import ErrorInput, OpInfo, SampleInput, _complex_of, _Make

__all__ = ["op_db_linalg"]


# --------------------------------------------------------------------------- helpers


def _lib(t: Any) -> Any:
    """The library a tensor belongs to: ``dagrad``, or ``torch`` for a PyTorch tensor."""
    if isinstance(t, Tensor):
        importlib.import_module("dagrad.linalg")     # sets dagrad.linalg to the namespace
        return dagrad
    return sys.modules[type(t).__module__.split(".")[0]]


def _mH(A: Any) -> Any:
    return A.conj().transpose(-2, -1)


def _sym(A: Any) -> Any:
    return (A + _mH(A)) / 2


def _phase(c: Any) -> Any:
    """``conj(c) / |c|``: multiplying by it makes ``c`` real positive."""
    return c.conj() / c.abs()


def _mat(make: _Make, shape: tuple, kind: str = "general", cplx: bool = False,
         rg: bool | None = None) -> Tensor:
    """A deterministic matrix (batch) of the sample dtype (its complex twin with ``cplx``).

    kinds: ``general`` (square ones diagonally dominant), ``pd`` (Hermitian positive-definite),
    ``sym`` (Hermitian, eigenvalues about 1.5 apart), ``spread`` (singular values k, ..., 2, 1),
    ``singular`` (3x3 of rank 2 whose LU has an
    exact zero pivot, distinct singular values).
    """
    rng = make.rng
    n = shape[-1]

    def rnd(shp: tuple) -> np.ndarray:
        a = rng.uniform(-1, 1, shp)
        return a + 1j * rng.uniform(-1, 1, shp) if cplx else a

    def h(a: np.ndarray) -> np.ndarray:
        return np.conj(np.swapaxes(a, -1, -2))

    if kind == "general":
        a = rnd(shape)
        if shape[-1] == shape[-2]:
            a = a + 2.5 * np.eye(n)
    elif kind == "pd":
        m = rnd(shape)
        a = m @ h(m) + n * np.eye(n)
    elif kind == "sym":
        m = rnd(shape)
        a = (m + h(m)) / 4 + np.diag(1.5 * np.arange(n))
    elif kind == "spread":              # singular values 3, 2, 1, ... (well separated)
        k = min(shape[-2:])
        u = np.linalg.qr(rnd(shape[:-1] + (k,)))[0]
        v = np.linalg.qr(rnd(shape[:-2] + (n, k)))[0]
        a = (u * np.linspace(k, 1, k)) @ h(v)
    elif kind == "singular":            # det exactly 0 in LU, distinct singular values
        a = np.broadcast_to(np.array([[1., 2., 3.], [2., 4., 6.], [0., 1., 1.]]), shape)
    else:
        raise ValueError(kind)
    dt = _complex_of(make.dtype) if cplx else make.dtype
    t = dagrad.from_numpy(np.ascontiguousarray(a).astype(dt.np))
    if make.rg if rg is None else rg:
        t.requires_grad_(True)
    return t


def _fixed_eigh(A: Any, UPLO: str = "L") -> tuple:
    # (every output through one MulBackward0, so the generic grad_fn check has one name)
    L, V = _lib(A).linalg.eigh(_sym(A), UPLO=UPLO)
    return L * 1.0, V * _phase(V[..., :1, :])


def _fixed_svd(A: Any, full_matrices: bool = True) -> tuple:
    U, S, Vh = _lib(A).linalg.svd(A, full_matrices=full_matrices)
    k = S.shape[-1]
    U, Vh = U[..., :k], Vh[..., :k, :]                # the rest is not unique when m != n
    p = _phase(U[..., :1, :])
    return U * p, S * 1.0, Vh * _mH(p)


def _fixed_qr(A: Any, mode: str = "reduced") -> tuple:
    lib = _lib(A)
    Q, R = lib.linalg.qr(A, mode=mode)
    k = R.shape[-2]
    d = (R * lib.eye(k, R.shape[-1], dtype=R.dtype)).sum(-1)
    p = _phase(d)
    return Q * p.unsqueeze(-2), R * p.conj().unsqueeze(-1)


def _cholesky(A: Any, upper: bool = False) -> Any:
    return _lib(A).linalg.cholesky(_sym(A), upper=upper)


def _tri_mask(L: Any, upper: bool) -> Any:
    n = L.shape[-1]
    m = np.triu(np.ones((n, n))) if upper else np.tril(np.ones((n, n)))
    lib = _lib(L)
    return L * lib.tensor(m, dtype=L.dtype)


def _cholesky_solve(B: Any, L: Any, upper: bool = False) -> Any:
    # the factor's other triangle is not read: mask it, as PyTorch's OpInfo does
    if L.dim() >= 2 and L.shape[-1] == L.shape[-2]:
        L = _tri_mask(L, upper)
    fn = D.cholesky_solve if isinstance(B, Tensor) else _lib(B).cholesky_solve
    return fn(B, L, upper)


def _pinv_hermitian(A: Any) -> Any:
    return _lib(A).linalg.pinv(_sym(A), hermitian=True)


def _eigvalsh(A: Any, UPLO: str = "L") -> Any:
    return _lib(A).linalg.eigvalsh(_sym(A), UPLO=UPLO)


def _np_sym(a: np.ndarray) -> np.ndarray:
    return (a + np.conj(np.swapaxes(a, -1, -2))) / 2


def _err(args: tuple, message: str, kwargs: dict | None = None,
         error_type: type = RuntimeError) -> ErrorInput:
    return ErrorInput(SampleInput(args, kwargs or {}), error_type, message)


_F64 = dagrad.float64


# --------------------------------------------------------------------------- products


def _addmv_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((2,)), make((2, 3)), make((3,))), desc="plain")
    yield SampleInput((make(()), make((2, 3)), make((3,))), {"beta": 0.5, "alpha": 2},
                      desc="0-dim self, beta, alpha")
    yield SampleInput((make((1,)), make((2, 3)), make((3,))), {"beta": 0}, desc="beta=0")


def _addmv_errors() -> Iterator[ErrorInput]:
    yield _err((dagrad.ones(2), dagrad.ones(2, 3), dagrad.ones(2)),
               "size mismatch, got input (2), mat (2x3), vec (2)")
    yield _err((dagrad.ones(2, 2), dagrad.ones(2, 3), dagrad.ones(3)),
               "vector + matrix @ vector expected, got 2, 2, 1")
    yield _err((dagrad.ones(2), dagrad.ones(2, 3, dtype=_F64), dagrad.ones(3, dtype=_F64)),
               "addmv input tensors must have the same dtype, but got Float, Double, and Double")


def _baddbmm_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((2, 3, 4)), make((2, 3, 2)), make((2, 2, 4))), desc="plain")
    yield SampleInput((make((4,)), make((2, 3, 2)), make((2, 2, 4))), {"beta": 0.5, "alpha": -1},
                      desc="broadcast self, beta, alpha")


def _baddbmm_errors() -> Iterator[ErrorInput]:
    yield _err((dagrad.ones(2, 2, 2), dagrad.ones(2, 2, 3), dagrad.ones(2, 2, 2)),
               "Expected size for first two dimensions of batch2 tensor to be: [2, 3] but got: "
               "[2, 2].")
    yield _err((dagrad.ones(3, 2, 2), dagrad.ones(2, 2, 3), dagrad.ones(2, 3, 2)),
               "The expanded size of the tensor (2) must match the existing size (3) at "
               "non-singleton dimension 0.  Target sizes: [2, 2, 2].  Tensor sizes: [3, 2, 2]")
    yield _err((dagrad.ones(2, 2, 2), dagrad.ones(2, 2, 3, 3), dagrad.ones(2, 3, 2)),
               "batch1 must be a 3D tensor")


_EINSUM = [
    ("ij,jk->ik", [(2, 3), (3, 4)]), ("ij,jk", [(2, 1), (3, 4)]), ("ii->i", [(3, 3)]),
    ("ii", [(3, 3)]), ("ij->", [(2, 3)]), ("ij->ji", [(2, 3)]), ("i,j->ij", [(2,), (3,)]),
    ("i,i->", [(3,), (3,)]), ("ij,ij->ji", [(2, 3), (2, 3)]), ("bij,bjk->bik", [(2, 2, 3),
                                                                              (1, 3, 2)]),
    ("...ij,...jk", [(2, 2, 3), (3, 2)]), ("ij,jk,kl->il", [(2, 3), (3, 2), (2, 2)]),
    ("ii,i->i", [(3, 3), (3,)]), ("ij,k->k", [(2, 3), (2,)]),
]


def _einsum_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    for eq, shapes in _EINSUM:
        yield SampleInput((eq, *[make(s) for s in shapes]), desc=eq)
    yield SampleInput(("ij,jk->ik", make((2, 3), dtype=_complex_of(dtype)),
                       make((3, 2), dtype=_complex_of(dtype))), desc="complex")


def _einsum_node(s: SampleInput) -> str:
    return D._einsum_node(s.args[0], s.args[1:])


def _einsum_errors() -> Iterator[ErrorInput]:
    a, b = dagrad.ones(2, 3), dagrad.ones(2, 3)
    yield _err(("ij,jk", a, b), "einsum(): subscript j has size 2 for operand 1 which does not "
               "broadcast with previously seen size 3")
    yield _err(("ij,jk->ik", a), "einsum(): fewer operands were provided than specified in the "
               "equation")
    yield _err(("i,i", dagrad.ones(2), dagrad.ones(2), dagrad.ones(2)),
               "einsum(): more operands were provided than specified in the equation")
    yield _err(("ijk->ik", a), "einsum(): the number of subscripts in the equation (3) does not "
               "match the number of dimensions (2) for operand 0 and no ellipsis was given")
    yield _err(("ij->ix", a), "einsum(): output subscript x does not appear in the equation for "
               "any input operand")
    yield _err(("ij->ii", a), "einsum(): output subscript i appears more than once in the output")
    yield _err(("ii->i", a), "einsum(): subscript i is repeated for operand 0 but the sizes don't "
               "match, 3 != 2")
    yield _err(("i1,i", a, dagrad.ones(2)), "einsum(): invalid subscript given at index 1 in the "
               "equation string, subscripts must be in [a-zA-Z]")
    yield _err(("i.j", a), "einsum(): found '.' for operand 0 that is not part of any ellipsis")


def _tensordot_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((2, 3, 4)), make((3, 4, 2))), desc="dims=2")
    yield SampleInput((make((2, 3)), make((3, 2))), {"dims": 1}, desc="dims=1")
    yield SampleInput((make((2, 3)), make((3, 2))), {"dims": ([1, 0], [0, 1])}, desc="lists")
    yield SampleInput((make((2,)), make((3,))), {"dims": 0}, desc="outer")


def _tensordot_errors() -> Iterator[ErrorInput]:
    yield _err((dagrad.ones(2, 3), dagrad.ones(2, 3)), "contracted dimensions need to match, "
               "but first has size 3 in dim -1 and second has size 2 in dim 0", {"dims": 1})
    yield _err((dagrad.ones(2, 3), dagrad.ones(2, 3)), "tensordot expects dims >= 0, but got "
               "dims=-1", {"dims": -1})
    yield _err((dagrad.ones(2, 3), dagrad.ones(3, 2)), "both dimension lists should have same "
               "length", {"dims": ([0, 1], [0])})


def _kron_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((2, 3)), make((2, 2))), desc="matrices")
    yield SampleInput((make((3,)), make((2, 2))), desc="ranks differ")


def _cross_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((2, 3)), make((2, 3))), desc="last dim")
    yield SampleInput((make((2, 3)), make((1, 3))), desc="broadcast")
    yield SampleInput((make((3, 2)), make((3, 2))), {"dim": 0}, desc="dim=0")
    yield SampleInput((make((3,), dtype=_complex_of(dtype)), make((3,), dtype=_complex_of(dtype))),
                      desc="complex")


def _torch_cross_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    # with ``dim`` always given: without it torch.cross warns (tests/test_linalg.py checks that)
    for s in _cross_samples(dtype, rg):
        yield SampleInput(s.args, {"dim": s.kwargs.get("dim", -1)}, desc=s.desc)


def _linalg_cross_errors() -> Iterator[ErrorInput]:
    yield _err((dagrad.ones(2, 2), dagrad.ones(2, 2)),
               "linalg.cross: inputs dimension -1 must have length 3. Got 2 and 2")
    yield _err((dagrad.ones(3, 3), dagrad.ones(3)),
               "linalg.cross: inputs must have the same number of dimensions.")
    yield _err((dagrad.ones(3, 3), dagrad.ones(2, 3)), "The size of tensor a (3) must match the "
               "size of tensor b (2) at non-singleton dimension 0")
    yield _err((dagrad.ones(3), dagrad.ones(3)), "Dimension out of range (expected to be in range "
               "of [-1, 0], but got 2)", {"dim": 2}, IndexError)


def _outer_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((3,)), make((2,))), desc="vectors")


def _vdot_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((3,)), make((3,))), desc="real")
    cd = _complex_of(dtype)
    yield SampleInput((make((3,), dtype=cd), make((3,), dtype=cd)), desc="complex")


def _vdot_errors() -> Iterator[ErrorInput]:
    yield _err((dagrad.ones(3), dagrad.ones(2)), "inconsistent tensor size, expected tensor [3] "
               "and src [2] to have the same number of elements, but got 3 and 2 elements "
               "respectively")
    yield _err((dagrad.ones(3, 1), dagrad.ones(3, 1)), "1D tensors expected, but got 2D and 2D "
               "tensors")


# --------------------------------------------------------------------------- determinants, inverse


def _square_samples(cplx: bool = True, singular: bool = False) -> Callable:
    def samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
        make = _Make(dtype, rg)
        yield SampleInput((_mat(make, (3, 3)),), desc="3x3")
        yield SampleInput((_mat(make, (2, 2, 2)),), desc="batch")
        yield SampleInput((_mat(make, (1, 1)),), desc="1x1")
        if cplx:
            yield SampleInput((_mat(make, (3, 3), cplx=True),), desc="complex")
        if singular:
            yield SampleInput((_mat(make, (3, 3), "singular"),), desc="singular (rank 2)")
    return samples


def _square_errors(fname: str) -> Callable:
    def errors() -> Iterator[ErrorInput]:
        yield _err((dagrad.ones(2, 3),), f"{fname}: A must be batches of square matrices, but "
                   "they are 2 by 3 matrices")
        yield _err((dagrad.ones(3),), f"{fname}: The input tensor A must have at least 2 "
                   "dimensions.")
        yield _err((dagrad.ones(2, 2, dtype=dagrad.int64),), f"{fname}: Expected a floating "
                   "point or complex tensor as input. Got Long")
    return errors


def _inv_errors() -> Iterator[ErrorInput]:
    yield from _square_errors("linalg.inv")()
    yield _err((dagrad.tensor([[1., 2.], [2., 4.]]),), "linalg.inv: The diagonal element 2 is "
               "zero, the inversion could not be completed because the input matrix is singular.")
    yield _err((dagrad.stack([dagrad.eye(2), dagrad.zeros(2, 2)]),), "linalg.inv: (Batch "
               "element 1): The diagonal element 1 is zero, the inversion could not be completed "
               "because the input matrix is singular.")


def _solve_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((_mat(make, (3, 3)), make((3, 2))), desc="matrix B")
    yield SampleInput((_mat(make, (3, 3)), make((3,))), desc="vector B")
    yield SampleInput((_mat(make, (2, 3, 3)), make((2, 3))), desc="batch of vectors")
    yield SampleInput((_mat(make, (2, 1, 3, 3)), make((3, 3, 1))), desc="broadcast batches")
    yield SampleInput((_mat(make, (3, 3)), make((2, 3))), {"left": False}, desc="left=False")
    cd = _complex_of(dtype)
    yield SampleInput((_mat(make, (3, 3), cplx=True), make((3, 2), dtype=cd)), desc="complex")


def _solve_errors() -> Iterator[ErrorInput]:
    eye = dagrad.eye(2, dtype=_F64)
    yield _err((eye, dagrad.ones(3, dtype=_F64)), "linalg.solve: Incompatible shapes of A and B "
               "for the equation AX = B (2x2 and 3x1)")
    yield _err((eye, dagrad.ones(2, 3, dtype=_F64)), "linalg.solve: Incompatible shapes of A and "
               "B for the equation XA = B (2x2 and 2x3)", {"left": False})
    yield _err((eye, dagrad.ones(2)), "linalg.solve: Expected A and B to have the same dtype, but "
               "found A of type Double and B of type Float instead")
    yield _err((dagrad.tensor([[1., 2.], [2., 4.]]), dagrad.ones(2)), "dagrad.linalg.solve: The "
               "solver failed because the input matrix is singular.")


def _solve_tri_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((_mat(make, (3, 3)), make((3, 2))), {"upper": True}, desc="upper")
    yield SampleInput((_mat(make, (3, 3)), make((3, 2))), {"upper": False}, desc="lower")
    yield SampleInput((_mat(make, (3, 3)), make((2, 3))), {"upper": True, "left": False},
                      desc="left=False")
    yield SampleInput((_mat(make, (2, 3, 3)), make((3, 1))),
                      {"upper": False, "unitriangular": True}, desc="unitriangular, batch")


def _solve_tri_errors() -> Iterator[ErrorInput]:
    eye = dagrad.eye(2, dtype=_F64)
    yield _err((eye, dagrad.ones(3, 2, dtype=_F64)), "linalg.solve_triangular: Incompatible "
               "shapes of A and B for the equation AX = B (2x2 and 3x2)", {"upper": True})
    yield _err((eye, dagrad.ones(2, dtype=_F64)), "linalg.solve_triangular: The input tensor B "
               "must have at least 2 dimensions.", {"upper": True})


def _slogdet_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    yield from _square_samples()(dtype, rg)
    make = _Make(dtype, rg, seed=3)
    a = _mat(make, (3, 3), rg=False)
    yield SampleInput((dagrad.from_numpy(-a._data.copy()).requires_grad_(rg),),
                      desc="negative determinant")


def _logdet_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((_mat(make, (3, 3), "pd"),), desc="positive determinant")
    yield SampleInput((_mat(make, (2, 3, 3), "pd"),), desc="batch")
    a = _mat(make, (3, 3), rg=False)._data.copy()
    a[0] *= -1
    yield SampleInput((dagrad.from_numpy(a).requires_grad_(rg),), desc="negative: nan",
                      nondiff=True)


def _logdet_ref(a: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return np.log(np.linalg.det(a))


# --------------------------------------------------------------------------- factorizations


def _cholesky_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((_mat(make, (3, 3), "pd"),), desc="3x3")
    yield SampleInput((_mat(make, (2, 3, 3), "pd"),), {"upper": True}, desc="batch, upper")
    yield SampleInput((_mat(make, (3, 3), "pd", cplx=True),), desc="complex")


def _cholesky_errors() -> Iterator[ErrorInput]:
    yield _err((dagrad.tensor([[1., 2.], [2., 1.]]),), "linalg.cholesky: The factorization could "
               "not be completed because the input is not positive-definite (the leading minor of "
               "order 2 is not positive-definite).")
    yield _err((dagrad.stack([dagrad.eye(2), -dagrad.eye(2)]),), "linalg.cholesky: (Batch "
               "element 1): The factorization could not be completed because the input is not "
               "positive-definite (the leading minor of order 1 is not positive-definite).")
    yield from _square_errors("linalg.cholesky")()


def _qr_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((_mat(make, (4, 3), "spread"),), desc="tall")
    yield SampleInput((_mat(make, (3, 3), "spread"),), desc="square")
    yield SampleInput((_mat(make, (3, 4), "spread"),), desc="wide")
    yield SampleInput((_mat(make, (2, 3, 4), "spread"),), {"mode": "complete"},
                      desc="wide complete batch")
    yield SampleInput((_mat(make, (3, 3), "spread", cplx=True),), desc="complex")
    yield SampleInput((_mat(make, (2, 3), "spread", cplx=True),), desc="complex wide")


def _qr_errors() -> Iterator[ErrorInput]:
    yield _err((dagrad.eye(3), "foo"), "qr received unrecognized mode 'foo' but expected one of "
               "'reduced' (default), 'r', or 'complete'")
    yield _err((dagrad.ones(3),), "linalg.qr: The input tensor A must have at least 2 "
               "dimensions.")


def _eigh_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((_mat(make, (3, 3), "sym"),), desc="3x3")
    yield SampleInput((_mat(make, (2, 3, 3), "sym"),), {"UPLO": "U"}, desc="batch, upper")
    yield SampleInput((_mat(make, (3, 3), "sym", cplx=True),), desc="complex")


def _svd_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((_mat(make, (3, 3), "spread"),), desc="square")
    yield SampleInput((_mat(make, (4, 3), "spread"),), desc="tall, full_matrices")
    yield SampleInput((_mat(make, (2, 3, 4), "spread"),), {"full_matrices": False},
                      desc="wide batch")
    yield SampleInput((_mat(make, (3, 2), "spread", cplx=True),), desc="complex")


def _svdvals_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((_mat(make, (3, 4), "spread"),), desc="wide")
    yield SampleInput((_mat(make, (2, 3, 3), "spread"),), desc="batch")
    yield SampleInput((_mat(make, (3, 3), "spread", cplx=True),), desc="complex")


def _pinv_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((_mat(make, (3, 4), "spread"),), desc="wide")
    yield SampleInput((_mat(make, (4, 3), "spread"),), desc="tall")
    yield SampleInput((_mat(make, (2, 3, 3), "spread"),), desc="batch")
    yield SampleInput((_mat(make, (3, 2), "spread", cplx=True),), desc="complex")
    yield SampleInput((_mat(make, (3, 3), "singular"),), {"rtol": 1e-4}, desc="rank 2, rtol",
                      nondiff=True)
    yield SampleInput((_mat(make, (3, 3), "singular"),), {"atol": 1e-4}, desc="rank 2, atol",
                      nondiff=True)


def _pinv_ref(a: np.ndarray, atol: Any = None, rtol: Any = None) -> np.ndarray:
    return np.linalg.pinv(a, rcond=1e-4 if (atol or rtol) else 1e-15)


def _pinv_herm_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((_mat(make, (3, 3), "pd"),), desc="positive-definite")
    yield SampleInput((-_mat(make, (3, 3), "pd", rg=False).requires_grad_(rg),),
                      desc="negative-definite")


def _cholesky_solve_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    for upper in (False, True):
        L = np.linalg.cholesky(_mat(make, (3, 3), "pd", rg=False)._data)
        F = np.swapaxes(L, -1, -2).copy() if upper else L
        yield SampleInput((make((3, 2)), dagrad.from_numpy(F).requires_grad_(rg)),
                          {"upper": upper}, desc=f"upper={upper}")
    L = np.linalg.cholesky(_mat(make, (2, 3, 3), "pd", rg=False)._data)
    yield SampleInput((make((3, 1)), dagrad.from_numpy(L).requires_grad_(rg)),
                      desc="broadcast batch")


def _cholesky_solve_ref(b: np.ndarray, L: np.ndarray, upper: bool = False) -> np.ndarray:
    L = np.triu(L) if upper else np.tril(L)
    A = np.swapaxes(L, -1, -2) @ L if upper else L @ np.swapaxes(L, -1, -2)
    return np.linalg.solve(A, b)


def _triangular_solve_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((3, 2)), _mat(make, (3, 3))), desc="upper")
    yield SampleInput((make((3, 2)), _mat(make, (3, 3))), {"upper": False, "transpose": True},
                      desc="lower, transpose")
    yield SampleInput((make((2, 3, 1)), _mat(make, (3, 3))), {"unitriangular": True},
                      desc="broadcast batch, unitriangular")


def _triangular_solve_ref(b: np.ndarray, A: np.ndarray, upper: bool = True,
                          transpose: bool = False, unitriangular: bool = False) -> tuple:
    T = np.triu(A) if upper else np.tril(A)
    if unitriangular:
        T = T - np.diag(np.diag(T)) + np.eye(T.shape[-1])
    if transpose:
        T = T.T
    batch = np.broadcast_shapes(b.shape[:-2], A.shape[:-2])
    return np.linalg.solve(T, b), np.broadcast_to(A, batch + A.shape[-2:])


def _triangular_solve_errors() -> Iterator[ErrorInput]:
    yield _err((dagrad.ones(2), dagrad.eye(2)), "dagrad.triangular_solve: Expected b to have at "
               "least 2 dimensions, but it has 1 dimensions instead")
    yield _err((dagrad.ones(3, 1), dagrad.eye(2)), "Incompatible matrix sizes for "
               "triangular_solve: each A matrix is 2 by 2 but each b matrix is 3 by 1")


def _cholesky_solve_errors() -> Iterator[ErrorInput]:
    yield _err((dagrad.ones(2), dagrad.eye(2)), "b should have at least 2 dimensions, but has 1 "
               "dimensions instead")
    yield _err((dagrad.ones(3, 1), dagrad.eye(2)), "Incompatible matrix sizes for cholesky_solve: "
               "each A matrix is 2 by 2 but each b matrix is 3 by 1")


# --------------------------------------------------------------------------- norms


def _matrix_norm_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    for ord in ("fro", "nuc", 1, -1, 2, -2, float("inf"), float("-inf")):
        yield SampleInput((_mat(make, (3, 4), "spread"), ord), desc=f"ord={ord}")
    yield SampleInput((_mat(make, (2, 3, 4), "spread"), "nuc"), {"dim": (0, 2), "keepdim": True},
                      desc="nuc, dims (0, 2), keepdim")
    yield SampleInput((_mat(make, (2, 3, 4), "spread"), 2), {"keepdim": True},
                      desc="2, batch, keepdim")
    yield SampleInput((_mat(make, (2, 3, 4), "spread"), 1), {"dim": (2, 0)}, desc="1, dims (2, 0)")
    yield SampleInput((_mat(make, (3, 3), "spread", cplx=True), float("inf")), desc="inf, complex")
    yield SampleInput((_mat(make, (3, 3), "spread", cplx=True), "nuc"), desc="nuc, complex")


def _matrix_norm_node(s: SampleInput) -> str:
    ord = s.args[1]
    if ord == "fro":
        return "LinalgVectorNormBackward0"
    if ord == "nuc" or abs(ord) == 2:
        if s.kwargs.get("keepdim"):
            return "PermuteBackward0"
        return "SumBackward1" if ord == "nuc" else ("AmaxBackward0" if ord > 0 else
                                                    "AminBackward0")
    return "AmaxBackward0" if ord > 0 else "AminBackward0"


def _matrix_norm_ref(a: np.ndarray, ord: Any = "fro", dim: Any = (-2, -1),
                     keepdim: bool = False) -> np.ndarray:
    return np.linalg.norm(a, ord=ord, axis=tuple(dim), keepdims=keepdim)


def _matrix_norm_errors() -> Iterator[ErrorInput]:
    yield _err((dagrad.ones(3, 3), 3), "linalg.matrix_norm: Order 3 not supported.")
    yield _err((dagrad.ones(3, 3), "foo"), "linalg.matrix_norm: Order foo not supported.")
    yield _err((dagrad.ones(3), "fro"), "linalg.matrix_norm: The input tensor A must have at least "
               "2 dimensions.")
    yield _err((dagrad.ones(3, 3), "fro"), "linalg.matrix_norm: dims must be different. Got (0, "
               "0)", {"dim": (0, 0)})
    yield _err((dagrad.ones(3, 3), "fro"), "linalg.matrix_norm: dim must be a 2-tuple. Got 0 1 2",
               {"dim": (0, 1, 2)})


def _norm_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((_mat(make, (2, 3, 4), "spread"),), desc="default: 2-norm of everything")
    yield SampleInput((_mat(make, (3, 4), "spread"), "nuc"), desc="nuc")
    yield SampleInput((_mat(make, (3, 4), "spread"), float("inf")), desc="matrix inf")
    yield SampleInput((make((4,)), 3), desc="vector 3-norm")
    yield SampleInput((_mat(make, (2, 3, 4), "spread"), 1), {"dim": 1}, desc="vector 1-norm, dim")
    yield SampleInput((_mat(make, (2, 3, 4), "spread"), -2), {"dim": (1, 2)},
                      desc="matrix -2, dims")


def _norm_node(s: SampleInput) -> str:
    x = s.args[0]
    ord = s.args[1] if len(s.args) > 1 else None
    dim = s.kwargs.get("dim")
    if ord is not None and ((dim is not None and not isinstance(dim, int) and len(dim) == 2)
                            or (dim is None and x.dim() == 2)):
        return _matrix_norm_node(SampleInput((x, ord), {}))
    return "LinalgVectorNormBackward0"


def _norm_ref(a: np.ndarray, ord: Any = None, dim: Any = None) -> np.ndarray:
    if ord is None:
        return np.linalg.norm(a.ravel())
    return np.linalg.norm(a, ord=ord, axis=dim)


def _norm_errors() -> Iterator[ErrorInput]:
    yield _err((dagrad.ones(3, 3, 3), 2), "linalg.norm: If dim is not specified but ord is, the "
               "input must be 1D or 2D. Got 3D.")
    yield _err((dagrad.ones(3, 3, 3),), "linalg.norm: If dim is specified, it must be of length 1 "
               "or 2. Got [0, 1, 2]", {"dim": (0, 1, 2)})


# --------------------------------------------------------------------------- complex


def _angle_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((2, 3), dtype=_complex_of(dtype)),), desc="complex")
    yield SampleInput((make((2, 3), away=0.1),), desc="real")


def _angle_ref(z: np.ndarray) -> np.ndarray:
    return np.angle(z) if z.dtype.kind == "c" else np.where(z < 0, np.pi, 0.0).astype(z.dtype)


def _complex_pair_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((2, 3), 0.2, 2), make((2, 3))), desc="same shape")
    yield SampleInput((make((2, 3), 0.2, 2), make((3,))), desc="broadcast")
    yield SampleInput((make((), 0.2, 2), make(())), desc="0-dim")


def _complex_pair_errors(name: str) -> Callable:
    def errors() -> Iterator[ErrorInput]:
        yield _err((dagrad.tensor([1]), dagrad.tensor([1])), "Expected both inputs to be Half, "
                   "Float or Double tensors but got Long and Long")
        yield _err((dagrad.ones(2), dagrad.ones(2, dtype=_F64)), "Expected object of scalar type "
                   "Float but got scalar type Double for second argument")
    return errors


def _view_as_real_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    cd = _complex_of(dtype)
    yield SampleInput((make((2, 3), dtype=cd),), desc="2-D")
    yield SampleInput((make((), dtype=cd),), desc="0-dim")


def _view_as_complex_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((3, 2)),), desc="(3, 2)")
    yield SampleInput((make((2, 2, 2)),), desc="(2, 2, 2)")


def _view_as_complex_errors() -> Iterator[ErrorInput]:
    yield _err((dagrad.ones(3, 3),), "Tensor must have a last dimension of size 2")
    yield _err((dagrad.ones(2, 3).t(),), "Tensor must have a last dimension with stride 1")
    yield _err((dagrad.ones(()),), "Input tensor must have one or more dimensions")
    yield _err((dagrad.ones(3, 2, dtype=dagrad.int64),), "view_as_complex is only supported for "
               "half, float and double tensors, but got a tensor of scalar type: Long")


def _conj_physical_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((2, 3), dtype=_complex_of(dtype)),), desc="complex")


# --------------------------------------------------------------------------- the entries

_linalg = "dagrad.linalg"

op_db_linalg: list[OpInfo] = [
    # products
    OpInfo("addmv", op=D.addmv, torch_fn="addmv", samples=_addmv_samples,
           ref=lambda s, m, v, beta=1, alpha=1: (beta * s if beta else 0) + alpha * (m @ v),
           grad_fn="AddmvBackward0", error_inputs=_addmv_errors),
    OpInfo("baddbmm", op=D.baddbmm, torch_fn="baddbmm", samples=_baddbmm_samples,
           ref=lambda s, a, b, beta=1, alpha=1: beta * s + alpha * (a @ b),
           grad_fn="BaddbmmBackward0", error_inputs=_baddbmm_errors),
    OpInfo("einsum", op=D.einsum, torch_fn="einsum", samples=_einsum_samples,
           ref=lambda eq, *ops: np.einsum(eq, *ops), grad_fn=_einsum_node,
           error_inputs=_einsum_errors, covers=("_einsum",)),
    OpInfo("tensordot", op=D.tensordot, torch_fn="tensordot", samples=_tensordot_samples,
           ref=lambda a, b, dims=2: np.tensordot(a, b, dims), grad_fn="ViewBackward0",
           error_inputs=_tensordot_errors),
    OpInfo("kron", op=D.kron, torch_fn="kron", samples=_kron_samples, ref=np.kron,
           grad_fn="UnsafeViewBackward0"),
    OpInfo("linalg.cross", op=D.linalg_cross, torch_fn="linalg.cross", samples=_cross_samples,
           ref=lambda a, b, dim=-1: np.cross(a, b, axis=dim), grad_fn="LinalgCrossBackward0",
           error_inputs=_linalg_cross_errors, covers=("linalg_cross",)),
    OpInfo("cross", op=D.cross, torch_fn="cross", samples=_torch_cross_samples,
           ref=lambda a, b, dim=-1: np.cross(a, b, axis=dim), grad_fn="LinalgCrossBackward0"),
    OpInfo("outer", op=D.outer, torch_fn="outer", samples=_outer_samples, ref=np.outer,
           grad_fn="MulBackward0"),
    OpInfo("vdot", op=D.vdot, torch_fn="vdot", samples=_vdot_samples, ref=np.vdot,
           grad_fn="VdotBackward0", error_inputs=_vdot_errors),
    # determinants, inverse, solvers
    OpInfo("linalg.det", op=D.linalg_det, torch_fn="linalg.det",
           samples=_square_samples(singular=True), ref=np.linalg.det,
           grad_fn="LinalgDetBackward0", error_inputs=_square_errors("linalg.det"),
           covers=("linalg_det",)),
    OpInfo("linalg.inv", op=D.linalg_inv, torch_fn="linalg.inv", samples=_square_samples(),
           ref=np.linalg.inv, grad_fn="LinalgInvExBackward0", error_inputs=_inv_errors,
           covers=("linalg_inv",)),
    OpInfo("linalg.slogdet", op=D.linalg_slogdet, torch_fn="linalg.slogdet",
           samples=_slogdet_samples, ref=np.linalg.slogdet, grad_fn="LinalgSlogdetBackward0",
           error_inputs=_square_errors("linalg.slogdet"), covers=("linalg_slogdet",)),
    OpInfo("logdet", op=D.logdet, torch_fn="logdet", samples=_logdet_samples,
           ref=_logdet_ref, grad_fn="WhereBackward0"),
    OpInfo("linalg.solve", op=D.linalg_solve, torch_fn="linalg.solve", samples=_solve_samples,
           grad_fn="LinalgSolveExBackward0", error_inputs=_solve_errors,
           covers=("linalg_solve",)),
    OpInfo("linalg.solve_triangular",
           op=lambda A, B, **kw: _lib(A).linalg.solve_triangular(A, B, **kw),
           samples=_solve_tri_samples,
           grad_fn="LinalgSolveTriangularBackward0", error_inputs=_solve_tri_errors,
           covers=("linalg_solve_triangular", "_linalg_tril", "_linalg_triu")),
    OpInfo("cholesky_solve", op=_cholesky_solve, samples=_cholesky_solve_samples,
           ref=_cholesky_solve_ref, grad_fn="CholeskySolveBackward0",
           error_inputs=_cholesky_solve_errors, covers=("cholesky_solve",)),
    OpInfo("triangular_solve", op=D.triangular_solve, torch_fn="triangular_solve",
           samples=_triangular_solve_samples, ref=_triangular_solve_ref,
           grad_fn="TriangularSolveBackward0", error_inputs=_triangular_solve_errors),
    # factorizations (gauge-fixed, Hermitian inputs symmetrized)
    OpInfo("linalg.cholesky", op=_cholesky, samples=_cholesky_samples,
           ref=lambda a, upper=False: np.linalg.cholesky(_np_sym(a)) if not upper else
           np.conj(np.swapaxes(np.linalg.cholesky(_np_sym(a)), -1, -2)),
           grad_fn="LinalgCholeskyExBackward0", covers=("linalg_cholesky",)),
    OpInfo("linalg.qr", op=_fixed_qr, samples=_qr_samples, grad_fn="MulBackward0",
           covers=("linalg_qr", "_linalg_diagonal", "_linalg_diag_embed")),
    OpInfo("linalg.eigh", op=_fixed_eigh, samples=_eigh_samples,
           grad_fn="MulBackward0", covers=("linalg_eigh",)),
    OpInfo("linalg.eigvalsh", op=_eigvalsh, samples=_eigh_samples,
           ref=lambda a, UPLO="L": np.linalg.eigvalsh(_np_sym(a)), grad_fn="LinalgEighBackward0"),
    OpInfo("linalg.svd", op=_fixed_svd, samples=_svd_samples, grad_fn="MulBackward0",
           covers=("linalg_svd",)),
    OpInfo("linalg.svdvals", op=lambda A: _lib(A).linalg.svdvals(A), samples=_svdvals_samples,
           ref=lambda a: np.linalg.svd(a, compute_uv=False), grad_fn="LinalgSvdBackward0"),
    OpInfo("linalg.pinv", op=lambda A, **kw: _lib(A).linalg.pinv(A, **kw),
           samples=_pinv_samples, ref=_pinv_ref, grad_fn="LinalgPinvBackward0",
           covers=("linalg_pinv",)),
    OpInfo("linalg.pinv_hermitian", op=_pinv_hermitian, samples=_pinv_herm_samples,
           ref=lambda a: np.linalg.pinv(_np_sym(a), hermitian=True),
           grad_fn="LinalgPinvBackward0"),
    # norms
    OpInfo("linalg.matrix_norm", op=D.linalg_matrix_norm, torch_fn="linalg.matrix_norm",
           samples=_matrix_norm_samples, ref=_matrix_norm_ref, grad_fn=_matrix_norm_node,
           error_inputs=_matrix_norm_errors, covers=("_linalg_amax", "_linalg_amin")),
    OpInfo("linalg.norm", op=D.linalg_norm, torch_fn="linalg.norm", samples=_norm_samples,
           ref=_norm_ref, grad_fn=_norm_node, error_inputs=_norm_errors),
    # complex
    OpInfo("angle", op=C.angle, torch_fn="angle", samples=_angle_samples, ref=_angle_ref,
           grad_fn="AngleBackward0"),
    OpInfo("view_as_real", op=C.view_as_real, torch_fn="view_as_real",
           samples=_view_as_real_samples, ref=lambda z: np.stack([z.real, z.imag], -1),
           grad_fn="ViewAsRealBackward0"),
    OpInfo("view_as_complex", op=C.view_as_complex, torch_fn="view_as_complex",
           samples=_view_as_complex_samples, ref=lambda x: x[..., 0] + 1j * x[..., 1],
           grad_fn="ViewAsComplexBackward0", error_inputs=_view_as_complex_errors),
    OpInfo("complex", op=C.complex, torch_fn="complex", samples=_complex_pair_samples,
           ref=lambda a, b: a + 1j * b, grad_fn="ComplexBackward0",
           error_inputs=_complex_pair_errors("complex")),
    OpInfo("polar", op=C.polar, torch_fn="polar", samples=_complex_pair_samples,
           ref=lambda r, t: r * np.exp(1j * t), grad_fn="PolarBackward0",
           error_inputs=_complex_pair_errors("polar")),
    OpInfo("conj_physical", op=C.conj_physical, torch_fn="conj_physical",
           samples=_conj_physical_samples, ref=np.conjugate, grad_fn="ConjPhysicalBackward0"),
]
