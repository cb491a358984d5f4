"""Linear algebra: ``dagrad.linalg`` and the matrix ops of ``dagrad/ops/linalg_decomp.py``.

Part 1 runs the generic checks (forward vs NumPy, gradcheck and gradgradcheck in float64, the
``grad_fn`` name, error text, and PyTorch as the oracle for values, first and second derivatives,
node names and errors) over ``dagrad.testing.op_db_linalg``, as long as those entries are not yet
part of ``op_db`` (once they are, ``tests/test_ops.py`` and ``tests/test_ops_vs_torch.py`` run
them). Part 2 has focused tests: reconstructions, batches, golden gradients, gauge errors, einsum
parsing, the node names of the raw decompositions.
"""
from __future__ import annotations

import re
import warnings
from typing import Any

import numpy as np
import pytest

import dagrad
import dagrad.linalg as LA
from dagrad._tensor import Tensor
from dagrad.autograd.gradcheck import gradcheck, gradgradcheck
from dagrad.ops import linalg_decomp as D
from dagrad.testing import assert_close
from dagrad.testing.op_db import OpInfo, SampleInput, op_db, to_numpy_args
from dagrad.testing.op_db_linalg import op_db_linalg

F64 = dagrad.float64


# =========================================================================== part 1: OpInfos


def _pending(op: OpInfo) -> None:
    if any(o is op for o in op_db):
        pytest.skip("in op_db: tests/test_ops.py runs it")


def _leaves(obj: Any) -> list[Tensor]:
    if isinstance(obj, Tensor):
        return [obj] if obj.requires_grad else []
    if isinstance(obj, (list, tuple)):
        return [t for o in obj for t in _leaves(o)]
    if isinstance(obj, dict):
        return [t for o in obj.values() for t in _leaves(o)]
    return []


def _as_function(op: OpInfo, s: SampleInput) -> tuple[Any, tuple[Tensor, ...]]:
    leaves = _leaves((s.args, s.kwargs))
    ids = [id(t) for t in leaves]

    def swap(obj: Any, new: dict) -> Any:
        if isinstance(obj, Tensor):
            return new.get(id(obj), obj)
        if isinstance(obj, (list, tuple)):
            return type(obj)(swap(o, new) for o in obj)
        if isinstance(obj, dict):
            return {k: swap(v, new) for k, v in obj.items()}
        return obj

    def f(*ts: Tensor) -> Any:
        new = dict(zip(ids, ts, strict=True))
        return op.op(*swap(s.args, new), **swap(s.kwargs, new))
    return f, tuple(leaves)


def _outs(out: Any) -> tuple:
    return tuple(out) if isinstance(out, (tuple, list)) else (out,)


IDS = [o.name for o in op_db_linalg]


@pytest.mark.parametrize("op", op_db_linalg, ids=IDS)
def test_op_forward_gradients_and_errors(op: OpInfo) -> None:
    _pending(op)
    for dtype in (dagrad.float32, F64):
        for s in op.samples(dtype, False):
            if op.ref is None:
                continue
            outs = _outs(op.op(*s.args, **s.kwargs))
            exp = op.ref(*to_numpy_args(s.args), **to_numpy_args(s.kwargs))
            exps = tuple(exp) if isinstance(exp, (tuple, list)) else (exp,)
            for o, e in zip(outs, exps, strict=True):
                e = np.asarray(e)
                assert tuple(o.shape) == e.shape, f"{op.name} {s}"
                assert_close(o, e.astype(o._data.dtype), rtol=1e-5, atol=1e-5, equal_nan=True,
                             msg=f"{op.name} {s}")
    dagrad.manual_seed(0)
    for s in op.samples(F64, True):
        outs = _outs(op.op(*s.args, **s.kwargs))
        for o in outs:
            name = None if o.grad_fn is None else type(o.grad_fn).__name__
            assert name == op.expected_grad_fn(s), f"{op.name} {s}: {name}"
        if s.nondiff or not _leaves((s.args, s.kwargs)):
            continue
        f, leaves = _as_function(op, s)
        assert gradcheck(f, leaves), f"{op.name} {s}"
        assert gradgradcheck(f, leaves), f"{op.name} {s}"
    for err in op.error_inputs():
        with pytest.raises(err.error_type, match=f"^{re.escape(err.message)}$"):
            op.op(*err.sample.args, **err.sample.kwargs)


@pytest.mark.parametrize("op", op_db_linalg, ids=IDS)
def test_op_matches_torch(op: OpInfo) -> None:
    _pending(op)
    torch = pytest.importorskip("torch")
    compare, to_torch = _torch_helpers(torch)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")            # torch.cross / triangular_solve deprecations
        for dtype in (dagrad.float32, F64):
            for s in op.samples(dtype, True):
                compare(op, s, dtype)
        fn = op.get_torch_fn(torch)
        for err in op.error_inputs():
            s = err.sample
            with pytest.raises(Exception) as theirs:
                fn(*to_torch(s.args), **to_torch(s.kwargs))
            assert isinstance(theirs.value, err.error_type), op.name
            assert str(theirs.value).replace("torch.", "dagrad.") == err.message


def _torch_helpers(torch: Any) -> tuple:
    """The comparison of tests/test_ops_vs_torch.py, condensed: values and node names, first
    and second derivatives of weighted sums (real parts of complex outputs)."""
    def to_torch(obj: Any) -> Any:
        if isinstance(obj, Tensor):
            t = torch.from_numpy(np.array(obj._data, copy=True))
            return t.requires_grad_(obj.requires_grad)
        if isinstance(obj, (tuple, list)):
            return type(obj)(to_torch(o) for o in obj)
        if isinstance(obj, dict):
            return {k: to_torch(v) for k, v in obj.items()}
        return obj

    def arr(t: Any) -> np.ndarray:
        if isinstance(t, Tensor):
            return t._data
        if t._is_zerotensor():            # PyTorch's symbolic zeros (e.g. amax's double backward)
            return np.zeros(tuple(t.shape), torch.empty(0, dtype=t.dtype).numpy().dtype)
        return t.detach().resolve_conj().numpy()

    def wsum(lib: Any, outs: tuple, ws: list) -> Any:
        total = None
        for o, w in zip(outs, ws, strict=True):
            if o.requires_grad:
                term = (o * lib.from_numpy(w.copy())).sum()
                term = term.real if term.is_complex() else term
                total = term if total is None else total + term
        return total

    def grads(lib: Any, loss: Any, ins: list, create: bool) -> list:
        if loss is None or not loss.requires_grad:
            return [None] * len(ins)
        return list(lib.autograd.grad(loss, ins, allow_unused=True, create_graph=create))

    def same(a: list, b: list, ins: list, what: str, tol: float) -> None:
        for g, h, x in zip(a, b, ins, strict=True):
            ga = np.zeros(arr(x).shape, arr(x).dtype) if g is None else arr(g)
            gb = np.zeros(ga.shape, ga.dtype) if h is None else arr(h)
            assert_close(ga, gb, rtol=tol, atol=tol, msg=what)

    def compare(op: OpInfo, s: SampleInput, dtype: Any) -> None:
        what = f"{op.name} {s} {dtype}"
        tol = 1e-4 if dtype == dagrad.float32 else 1e-7
        t_args, t_kwargs = to_torch(s.args), to_torch(s.kwargs)
        ours = _outs(op.op(*s.args, **s.kwargs))
        theirs = _outs(op.get_torch_fn(torch)(*t_args, **t_kwargs))
        for o, t in zip(ours, theirs, strict=True):
            assert arr(o).dtype == arr(t).dtype, what
            assert_close(arr(o), arr(t), rtol=tol, atol=tol, equal_nan=True, msg=what)
            name = None if o.grad_fn is None else type(o.grad_fn).__name__
            tname = None if t.grad_fn is None else type(t.grad_fn).__name__
            assert name == tname, what
        d_in, t_in = _leaves((s.args, s.kwargs)), [x for x in _tleaves((t_args, t_kwargs))]
        if not d_in:
            return
        rng = np.random.default_rng(0)
        real = {np.dtype(np.complex64): np.float32, np.dtype(np.complex128): np.float64}
        w = [rng.uniform(0.5, 1.5, arr(t).shape).astype(real.get(arr(t).dtype, arr(t).dtype))
             for t in theirs]
        d_g = grads(dagrad, wsum(dagrad, ours, w), d_in, True)
        t_g = grads(torch, wsum(torch, theirs, w), t_in, True)
        same(d_g, t_g, d_in, what + " first order", tol * 10)
        v = [rng.uniform(0.5, 1.5, arr(x).shape).astype(arr(x).dtype) for x in d_in]
        keep = [i for i, g in enumerate(d_g) if g is not None]
        d_h = wsum(dagrad, tuple(d_g[i] for i in keep), [v[i] for i in keep])
        t_h = wsum(torch, tuple(t_g[i] for i in keep), [v[i] for i in keep])
        same(grads(dagrad, d_h, d_in, False), grads(torch, t_h, t_in, False), d_in,
             what + " second order", tol * 100)

    def _tleaves(obj: Any) -> list:
        if isinstance(obj, torch.Tensor):
            return [obj] if obj.requires_grad else []
        if isinstance(obj, (list, tuple)):
            return [t for o in obj for t in _tleaves(o)]
        if isinstance(obj, dict):
            return [t for o in obj.values() for t in _tleaves(o)]
        return []

    return compare, to_torch


# =========================================================================== part 2: focused


def _rand(*shape: int, seed: int = 0, cplx: bool = False, rg: bool = False) -> Tensor:
    rng = np.random.default_rng(seed)
    a = rng.uniform(-1, 1, shape)
    if cplx:
        a = a + 1j * rng.uniform(-1, 1, shape)
    return dagrad.tensor(a, requires_grad=rg)


def _spd(n: int, batch: tuple = (), seed: int = 0) -> np.ndarray:
    m = np.random.default_rng(seed).uniform(-1, 1, batch + (n, n))
    return m @ np.swapaxes(m, -1, -2) + n * np.eye(n)


def _name(t: Tensor) -> str | None:
    return None if t.grad_fn is None else type(t.grad_fn).__name__


def test_raw_decomposition_node_names() -> None:
    A = dagrad.tensor(_spd(3), requires_grad=True)
    W = _rand(3, 4, rg=True)
    B = _rand(3, 2, seed=1, rg=True)
    cases = {
        "LinalgDetBackward0": [LA.det(A)],
        "LinalgInvExBackward0": [LA.inv(A)],
        "LinalgSolveExBackward0": [LA.solve(A, B)],
        "LinalgCholeskyExBackward0": [LA.cholesky(A), LA.cholesky(A, upper=True)],
        "LinalgQrBackward0": [*LA.qr(W), *LA.qr(W, mode="r")],
        "LinalgEighBackward0": [*LA.eigh(A), LA.eigvalsh(A)],
        "LinalgSvdBackward0": [*LA.svd(W), LA.svdvals(W)],
        "LinalgSlogdetBackward0": [*LA.slogdet(A)],
        "LinalgPinvBackward0": [LA.pinv(W), dagrad.ops.linalg_decomp.pinverse(W)],
        "CholeskySolveBackward0": [D.cholesky_solve(B, LA.cholesky(A))],
        "TriangularSolveBackward0": [*D.triangular_solve(B, A)],
        "LinalgSolveTriangularBackward0": [LA.solve_triangular(A, B, upper=True)],
        "LinalgCrossBackward0": [LA.cross(_rand(2, 3, rg=True), _rand(2, 3, seed=2))],
        "WhereBackward0": [D.logdet(A)],
    }
    for expected, outs in cases.items():
        for o in outs:
            assert _name(o) == expected


def test_decompositions_reconstruct_batched_and_complex() -> None:
    def close(a: Any, b: Any, **kw: Any) -> None:
        assert_close(a, b, check_dtype=False, **kw)

    for cplx in (False, True):
        A = _rand(2, 4, 3, cplx=cplx)
        a = A._data
        Q, R = LA.qr(A)
        close(Q._data @ R._data, a)
        close(np.conj(np.swapaxes(Q._data, -1, -2)) @ Q._data, np.broadcast_to(
            np.eye(3), (2, 3, 3)), rtol=0, atol=1e-12)
        Qc, Rc = LA.qr(A, mode="complete")
        assert Qc.shape == (2, 4, 4) and Rc.shape == (2, 4, 3)
        Qr, Rr = LA.qr(A, mode="r")
        assert Qr.shape == (0,) and np.allclose(np.abs(Rr._data), np.abs(R._data))
        U, S, Vh = LA.svd(A, full_matrices=False)
        close((U._data * S._data[..., None, :]) @ Vh._data, a)
        close(LA.svdvals(A), np.linalg.svd(a, compute_uv=False))
        H = a[..., :3, :] + np.conj(np.swapaxes(a[..., :3, :], -1, -2))
        L, V = LA.eigh(dagrad.tensor(H))
        assert L.dtype == F64
        close((V._data * L._data[..., None, :]) @ np.conj(np.swapaxes(V._data, -1, -2)),
                     H)
        P = H @ np.conj(np.swapaxes(H, -1, -2)) + 3 * np.eye(3)
        C = LA.cholesky(dagrad.tensor(P))
        close(C._data @ np.conj(np.swapaxes(C._data, -1, -2)), P)
        Cu = LA.cholesky(dagrad.tensor(P), upper=True)
        close(np.conj(np.swapaxes(Cu._data, -1, -2)) @ Cu._data, P)
        close(LA.pinv(A), np.linalg.pinv(a))


def test_batched_solvers_match_a_loop_over_matrices() -> None:
    A = dagrad.tensor(_spd(3, (2, 3)))
    B = _rand(3, 3, 2)
    X = LA.solve(A, B)
    assert X.shape == (2, 3, 3, 2)
    for i in range(2):
        for j in range(3):
            assert_close(X._data[i, j], np.linalg.solve(A._data[i, j], B._data[j]))
            assert_close(LA.det(A)._data[i, j], np.linalg.det(A._data[i, j]))
            assert_close(LA.inv(A)._data[i, j], np.linalg.inv(A._data[i, j]))
    v = LA.solve(A, _rand(3))                         # one vector against every matrix
    assert v.shape == (2, 3, 3)
    Xr = LA.solve(A, _rand(2, 3, 4, 3), left=False)  # X A = B
    assert_close(Xr._data @ A._data, _rand(2, 3, 4, 3)._data)


def test_det_gradient_at_a_singular_matrix_is_the_cofactor_matrix() -> None:
    A = dagrad.tensor([[1.0, 2.0], [2.0, 4.0]], dtype=F64, requires_grad=True)
    (g,) = dagrad.autograd.grad(LA.det(A), A)
    assert_close(g, np.array([[4.0, -2.0], [-2.0, 1.0]]), rtol=0, atol=1e-12)
    assert gradgradcheck(LA.det, (A,))


def test_det_and_inverse_golden() -> None:
    A = dagrad.tensor([[2.0, 1.0], [1.0, 3.0]], dtype=F64, requires_grad=True)
    d = LA.det(A)
    assert abs(d.item() - 5.0) < 1e-12
    d.backward()
    assert_close(A.grad, np.array([[3.0, -1.0], [-1.0, 2.0]]))      # det(A) A^{-T}
    sign, logabs = LA.slogdet(-A)
    assert sign.item() == 1.0 and abs(logabs.item() - np.log(5.0)) < 1e-12


@pytest.mark.parametrize(("fn", "args", "message"), [
    (LA.inv, (dagrad.tensor([[1.0, 2.0], [2.0, 4.0]]),),
     ("linalg.inv: The diagonal element 2 is zero, the inversion could not be completed because "
      "the input matrix is singular.")),
    (LA.inv, (dagrad.tensor([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 1.0, 1.0]]),),
     ("linalg.inv: The diagonal element 3 is zero, the inversion could not be completed because "
      "the input matrix is singular.")),
    (LA.cholesky, (dagrad.tensor([[1.0, 2.0], [2.0, 1.0]]),),
     ("linalg.cholesky: The factorization could not be completed because the input is not "
      "positive-definite (the leading minor of order 2 is not positive-definite).")),
    (LA.cholesky, (dagrad.tensor([[float("nan"), 0.0], [0.0, 1.0]]),),
     ("linalg.cholesky: The factorization could not be completed because the input is not "
      "positive-definite (the leading minor of order 1 is not positive-definite).")),
    (LA.solve, (dagrad.stack([dagrad.eye(2), dagrad.tensor([[1.0, 2.0], [2.0, 4.0]])]),
                dagrad.ones(2, 2)),
     ("dagrad.linalg.solve: (Batch element 1): The solver failed because the input matrix is "
      "singular.")),
])
def test_singular_and_not_positive_definite_messages(fn: Any, args: tuple, message: str) -> None:
    with pytest.raises(LA.LinAlgError, match=f"^{re.escape(message)}$") as info:
        fn(*args)
    assert isinstance(info.value, RuntimeError)


def test_qr_backward_errors() -> None:
    A = _rand(4, 3, rg=True)
    _, R = LA.qr(A, mode="r")
    with pytest.raises(RuntimeError, match=re.escape(
            "The derivative of linalg.qr depends on Q, which is not computed when mode='r'. "
            "Please use linalg.qr(A, mode='reduced') if you are going to differentiate through "
            "linalg.qr.")):
        R.sum().backward()
    Q, _ = LA.qr(A, mode="complete")
    with pytest.raises(RuntimeError, match=re.escape(
            "The QR decomposition is not differentiable when mode='complete' and nrows > ncols.")):
        Q.sum().backward()
    Qw, Rw = LA.qr(_rand(3, 4, rg=True), mode="complete")       # wide: fine
    (Qw.sum() + Rw.sum()).backward()


def test_phase_dependent_losses_raise_pytorch_messages() -> None:
    A = _rand(3, 3, cplx=True)
    H = dagrad.tensor(A._data + A._data.conj().T, requires_grad=True)
    _, V = LA.eigh(H)
    with pytest.raises(RuntimeError, match=re.escape(
            "linalg_eigh_backward: The eigenvectors in the complex case are specified up to "
            "multiplication by e^{i phi}. The specified loss function depends on this quantity, "
            "so it is ill-defined.")):
        V.real.sum().backward()
    W = dagrad.tensor(A._data, requires_grad=True)
    U, _, _ = LA.svd(W)
    with pytest.raises(RuntimeError, match=re.escape(
            "svd_backward: The singular vectors in the complex case are specified up to "
            "multiplication by e^{i phi}. The specified loss function depends on this phase "
            "term, making it ill-defined.")):
        U.real.sum().backward()
    # |U| does not depend on the phase
    U, _, _ = LA.svd(W)
    U.abs().sum().backward()


def test_gauge_invariant_functions_of_decompositions_gradcheck() -> None:
    A = _rand(4, 3, rg=True)
    H = _rand(3, 3, seed=1, cplx=True, rg=True)

    def svd_recon(a: Tensor) -> Tensor:
        U, S, Vh = LA.svd(a, full_matrices=True)
        return (U[:, :3] * S.unsqueeze(-2)) @ Vh

    def eigh_proj(h: Tensor) -> Tensor:
        L, V = LA.eigh(h + h.H)
        return (V.abs() ** 2) * L.unsqueeze(-2)

    def abs_u(a: Tensor) -> Tensor:
        return LA.svd(a, full_matrices=False)[0].abs().sum(-1)

    for f, x in ((svd_recon, A), (abs_u, A), (eigh_proj, H)):
        assert gradcheck(f, (x,))
        assert gradgradcheck(f, (x,))


def test_svd_full_matrices_gradient_ignores_the_extra_columns() -> None:
    A = _rand(4, 2, rg=True)
    U, S, _ = LA.svd(A, full_matrices=True)
    (g_full,) = dagrad.autograd.grad(U[:, :2].abs().sum() + S.sum(), A)
    U, S, _ = LA.svd(A, full_matrices=False)
    (g_red,) = dagrad.autograd.grad(U.abs().sum() + S.sum(), A)
    assert_close(g_full, g_red)


def test_cholesky_solve_and_triangular_solve_values() -> None:
    P = _spd(3)
    L = np.linalg.cholesky(P)
    B = _rand(3, 2)
    X = D.cholesky_solve(B, dagrad.tensor(L))
    assert_close(X, np.linalg.solve(P, B._data))
    Xu = D.cholesky_solve(B, dagrad.tensor(L.T.copy()), True)
    assert_close(Xu, np.linalg.solve(P, B._data))
    sol, coeff = D.triangular_solve(B, dagrad.tensor(P))
    assert_close(sol, np.linalg.solve(np.triu(P), B._data))
    assert_close(coeff, P)
    # a zero on the diagonal gives inf/nan as BLAS does, no error
    sol, _ = D.triangular_solve(dagrad.ones(2, 1), dagrad.zeros(2, 2))
    assert np.isinf(sol._data[1, 0]) and np.isnan(sol._data[0, 0])


def test_pinv_tolerances_and_hermitian() -> None:
    a = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [0.0, 1.0, 1.0]])
    A = dagrad.tensor(a)
    assert_close(LA.pinv(A), np.linalg.pinv(a), rtol=0, atol=1e-10)
    assert_close(LA.pinv(A, rtol=0.5), np.linalg.pinv(a, rcond=0.5), rtol=0, atol=1e-10)
    s = np.linalg.svd(a, compute_uv=False)
    assert_close(LA.pinv(A, atol=float(s[1]) + 1e-9), np.linalg.pinv(a, rcond=s[1] / s[0] + 1e-9),
                 rtol=0, atol=1e-10)
    h = _spd(3) - 4 * np.eye(3)
    assert_close(LA.pinv(dagrad.tensor(h), hermitian=True), np.linalg.pinv(h), rtol=0, atol=1e-10)


def test_norms_match_numpy() -> None:
    A = _rand(2, 3, 4)
    a = A._data
    for ord in ("fro", "nuc", 1, -1, 2, -2, np.inf, -np.inf):
        for keepdim in (False, True):
            got = LA.matrix_norm(A, ord, keepdim=keepdim)
            assert_close(got, np.linalg.norm(a, ord, axis=(-2, -1), keepdims=keepdim))
        assert_close(LA.matrix_norm(A, ord, dim=(2, 0)), np.linalg.norm(a, ord, axis=(2, 0)))
    assert_close(LA.norm(A), np.linalg.norm(a.ravel()))
    assert_close(LA.norm(A[0], 2), np.linalg.norm(a[0], 2))
    assert_close(LA.norm(A, 3, dim=-1), np.sum(np.abs(a) ** 3, -1) ** (1 / 3))
    assert_close(LA.vector_norm(A, 1), np.abs(a).sum())
    assert _name(LA.norm(_rand(3, 3, rg=True), "nuc", keepdim=True)) == "PermuteBackward0"


# --------------------------------------------------------------------------- products


def test_einsum_forms_and_implicit_output() -> None:
    a, b = _rand(2, 3), _rand(3, 4, seed=1)
    ref = a._data @ b._data
    assert_close(D.einsum("ij,jk", a, b), ref)
    assert_close(D.einsum("ij,jk->ik", [a, b]), ref)
    assert_close(D.einsum(a, [0, 1], b, [1, 2], [0, 2]), ref)
    assert_close(D.einsum(a, [0, 1], b, [1, 2]), ref)
    assert_close(D.einsum("ba", a), a._data.T)                  # implicit output is sorted
    assert_close(D.einsum("Ab,b", a, _rand(3)), a._data @ _rand(3)._data)
    x = _rand(2, 3, 4)
    assert_close(D.einsum("...ij->...ji", x), np.swapaxes(x._data, -1, -2))
    assert_close(D.einsum("i...->...", x), x._data.sum(0))
    assert_close(D.einsum("i j , j k -> i k", a, b), ref)


def test_einsum_gradient_of_diagonal_and_summed_labels() -> None:
    A = _rand(3, 3, rg=True)
    D.einsum("ii", A).backward()
    assert_close(A.grad, np.eye(3))
    B = _rand(2, 3, rg=True)
    v = _rand(4, rg=True)
    out = D.einsum("ij,k->k", B, v)         # i, j summed, present only in B
    out.sum().backward()
    assert_close(B.grad, np.full((2, 3), v._data.sum()))
    assert_close(v.grad, np.full(4, B._data.sum()))


def test_einsum_matches_torch_for_many_equations() -> None:
    torch = pytest.importorskip("torch")
    cases = [("ij,jk->ki", [(2, 3), (3, 4)]), ("ii,ij->j", [(3, 3), (3, 2)]),
             ("i,i,i->i", [(3,), (3,), (3,)]), ("...j,j->...", [(2, 1, 3), (3,)]),
             ("bij,bkj->bik", [(2, 3, 4), (1, 2, 4)]), ("iij->j", [(2, 2, 3)]),
             ("ab,cd->abcd", [(2, 1), (1, 2)]), ("ijk->kji", [(2, 3, 4)])]
    rng = np.random.default_rng(0)
    for eq, shapes in cases:
        arrs = [rng.uniform(-1, 1, s) for s in shapes]
        ours = [dagrad.tensor(x, requires_grad=True) for x in arrs]
        theirs = [torch.tensor(x, requires_grad=True) for x in arrs]
        o, t = D.einsum(eq, *ours), torch.einsum(eq, *theirs)
        assert_close(o._data, t.detach().numpy())
        assert _name(o) == type(t.grad_fn).__name__, eq
        w = rng.uniform(0.5, 1.5, tuple(t.shape))
        go = dagrad.autograd.grad((o * dagrad.tensor(w)).sum(), ours, create_graph=True)
        gt = torch.autograd.grad((t * torch.tensor(w)).sum(), theirs, create_graph=True)
        for g, h in zip(go, gt, strict=True):
            assert_close(g._data, h.detach().numpy(), msg=eq)
        if not any(g.requires_grad for g in go):
            continue                                    # linear in its only operand
        ho = dagrad.autograd.grad(sum((g * g).sum() for g in go), ours, allow_unused=True)
        ht = torch.autograd.grad(sum((g * g).sum() for g in gt), theirs, allow_unused=True)
        for g, h in zip(ho, ht, strict=True):
            if g is None or h is None:
                assert g is None or not g._data.any()
                continue
            assert_close(g._data, h.detach().numpy(), msg=eq)


def test_products_values() -> None:
    a, b = _rand(3), _rand(2, seed=1)
    assert_close(D.outer(a, b), np.outer(a._data, b._data))
    assert D.ger is D.outer
    assert_close(D.kron(_rand(2, 3), _rand(3, 2)), np.kron(_rand(2, 3)._data, _rand(3, 2)._data))
    assert_close(D.tensordot(_rand(2, 3, 4), _rand(4, 3, 2), ([1, 2], [1, 0])),
                 np.tensordot(_rand(2, 3, 4)._data, _rand(4, 3, 2)._data, ([1, 2], [1, 0])))
    z = _rand(3, cplx=True)
    assert_close(D.vdot(z, z), np.vdot(z._data, z._data))
    zr = _rand(3, cplx=True, rg=True)
    assert _name(LA.vecdot(zr, z)) == "VdotBackward0"
    assert _name(LA.vecdot(zr.unsqueeze(0), z)) == "SumBackward1"
    assert_close(LA.vecdot(zr.unsqueeze(0), z), [np.vdot(zr._data, z._data)])
    assert_close(D.addmv(_rand(2), _rand(2, 3), a, beta=0.5, alpha=2),
                 0.5 * _rand(2)._data + 2 * _rand(2, 3)._data @ a._data)
    nan = dagrad.full((2,), float("nan"), dtype=F64)
    assert not np.isnan(D.addmv(nan, _rand(2, 3), a, beta=0)._data).any()


def test_cross_default_dim_warns_like_torch() -> None:
    x, y = _rand(3, 2), _rand(3, 2, seed=1)
    with pytest.warns(UserWarning, match="Using torch.cross without specifying the dim arg"):
        out = D.cross(x, y)
    assert_close(out, np.cross(x._data, y._data, axis=0))
    with pytest.raises(RuntimeError, match="^no dimension of size 3 in input$"), \
            warnings.catch_warnings():
        warnings.simplefilter("ignore")
        D.cross(dagrad.ones(2, 2), dagrad.ones(2, 2))
