"""Shape manipulation (``dagrad/ops/manipulation.py``): what the generic op tests do not cover.

The op-database checks (forward vs NumPy, gradcheck, gradgradcheck, node names, error messages,
the PyTorch oracle) run in ``tests/test_ops.py`` / ``tests/test_ops_vs_torch.py`` once ``op_db``
includes ``op_db_manipulation.OPS``; until then ``test_generic_until_in_op_db`` runs them here.
The rest: in-place on the outputs of multi-view ops, views that write through, ``as_tuple``
forms, reprs, keyword forms and Tensor-method spellings, dtypes, and a few properties.
"""
from __future__ import annotations

import re
import warnings
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import dagrad
from dagrad.autograd.gradcheck import gradcheck, gradgradcheck
from dagrad.ops import manipulation as M
from dagrad.testing import assert_close
from dagrad.testing.op_db_manipulation import OPS


MULTI_VIEW = ("Output {nr} of {node} is a view and is being modified inplace. This view is the "
              "output of a function that returns multiple views. Such functions do not allow the "
              "output views to be modified inplace. You should replace the inplace operation by "
              "an out-of-place one.")


def t64(values: Any, rg: bool = True) -> dagrad.Tensor:
    return dagrad.tensor(values, dtype=dagrad.float64, requires_grad=rg)


@pytest.fixture(scope="module")
def tt() -> Any:
    return pytest.importorskip("torch")


def to_t(tt: Any, x: dagrad.Tensor) -> Any:
    return tt.from_numpy(np.array(x.detach().numpy())).requires_grad_(x.requires_grad)


# --------------------------------------------------------------------------- op database coverage


def test_op_db_entries_cover_every_manipulation_op() -> None:
    from dagrad.ops._registry import registered_ops
    covered = {o.name for o in OPS} | {c for o in OPS for c in o.covers}
    mine = {n for n, op in registered_ops().items()
            if op.kernel.__module__ == "dagrad.ops.manipulation"}
    assert mine - covered == set()


def test_exports_and_methods_are_consistent() -> None:
    assert len(set(M.__all__)) == len(M.__all__)
    for name in M.__all__:
        assert callable(getattr(M, name)), name
    assert set(M.METHODS) <= set(M.__all__)
    assert M.METHODS["split"] is M._split_method
    assert M.moveaxis is M.movedim


# --------------------------------------------------------------------------- multi-view outputs


@pytest.mark.parametrize("make, node", [
    (lambda y: M.split(y, 2), "Split"),
    (lambda y: M.split(y, [1, 3]), "SplitWithSizes"),
    (lambda y: M.split_with_sizes(y, [3, 1]), "SplitWithSizes"),
    (lambda y: M.chunk(y, 2), "Split"),
    (lambda y: M._split_method(y, 3), "Split"),
])
def test_in_place_on_a_split_output_raises_pytorch_message(make: Any, node: str) -> None:
    y = t64([1.0, 2.0, 3.0, 4.0]) * 1
    pieces = make(y)
    for nr in (0, 1):
        with pytest.raises(RuntimeError, match=re.escape(MULTI_VIEW.format(nr=nr, node=node))):
            pieces[nr].mul_(2)


def test_split_outputs_are_views_sharing_the_version_counter() -> None:
    x = dagrad.arange(6.0)
    a, b = M.split(x, 4)
    assert a._base is x and b._base is x
    x.add_(1)                                        # no graph: allowed, visible through views
    assert a.tolist() == [1.0, 2.0, 3.0, 4.0] and b._version == x._version == 1
    with dagrad.no_grad():
        a.mul_(2)                                    # no graph recorded: allowed, as in PyTorch
    assert x.tolist() == [2.0, 4.0, 6.0, 8.0, 5.0, 6.0]


def test_split_unused_outputs_get_zero_gradient() -> None:
    x = t64([1.0, 2.0, 3.0, 4.0, 5.0])
    a, _, c = M.split(x, 2)
    (a.sum() * 2 + c.sum() * 3).backward()
    assert x.grad.tolist() == [2.0, 2.0, 0.0, 0.0, 3.0]


def test_tensor_split_outputs_allow_in_place_like_pytorch(tt: Any) -> None:
    x = t64([1.0, 2.0, 3.0, 4.0])
    y = x * 1
    _, b = M.tensor_split(y, 2)
    b.mul_(3)                                        # a slice view: CopySlices on y
    assert type(y.grad_fn).__name__ == "CopySlices"
    (y * y).sum().backward()
    xt = to_t(tt, x)
    yt = xt * 1
    yt.tensor_split(2)[1].mul_(3)
    (yt * yt).sum().backward()
    assert_close(x.grad, xt.grad.numpy())


# --------------------------------------------------------------------------- views that write


def test_diagonal_is_a_writable_view_and_backward_matches_torch(tt: Any) -> None:
    x = t64([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    y = x * 1
    d = M.diagonal(y, 1)
    assert d._base is y and d.tolist() == [2.0, 6.0]
    d.mul_(10)
    assert y.tolist() == [[1.0, 20.0, 3.0], [4.0, 5.0, 60.0]]
    (y ** 2).sum().backward()
    xt = to_t(tt, x)
    yt = xt * 1
    yt.diagonal(1).mul_(10)
    (yt ** 2).sum().backward()
    assert_close(x.grad, xt.grad.numpy())


def test_diagonal_of_a_leaf_that_requires_grad_refuses_in_place() -> None:
    x = t64([[1.0, 2.0], [3.0, 4.0]])
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad"):
        M.diagonal(x).mul_(2)


def test_copies_are_not_views() -> None:
    x = dagrad.arange(6.0).reshape(2, 3)
    for out in (M.diag(x), M.narrow_copy(x, 1, 0, 2), M.flip(x, 0), M.roll(x, 1), M.rot90(x),
                M.repeat(x, 1, 1), M.take(x, dagrad.tensor([0, 1]))):
        assert out._base is None
        before = x.tolist()
        out.add_(100)
        assert x.tolist() == before


def test_rot90_keeps_pytorch_strides() -> None:
    x = dagrad.arange(6.0).reshape(2, 3)
    assert M.rot90(x).stride() == (1, 3) and not M.rot90(x).is_contiguous()
    assert M.rot90(x, 2).stride() == (3, 1)


# --------------------------------------------------------------------------- nonzero / where


def test_nonzero_forms() -> None:
    x = dagrad.tensor([[0.0, 1.0], [2.0, 0.0]])
    assert M.nonzero(x).tolist() == [[0, 1], [1, 0]] and M.nonzero(x).dtype == dagrad.int64
    rows, cols = M.nonzero(x, as_tuple=True)
    assert rows.tolist() == [0, 1] and cols.tolist() == [1, 0]
    assert M.argwhere(x).tolist() == [[0, 1], [1, 0]]
    assert [t.tolist() for t in M.where(x > 0)] == [[0, 1], [1, 0]]
    assert repr(M.where(dagrad.tensor([0.0, 3.0, 4.0]))) == "(tensor([1, 2]),)"


def test_nonzero_of_a_0_dim_tensor() -> None:
    assert tuple(M.nonzero(dagrad.tensor(2.0)).shape) == (1, 0)
    assert tuple(M.nonzero(dagrad.tensor(0.0)).shape) == (0, 0)
    (only,) = M.nonzero(dagrad.tensor(2.0), as_tuple=True)
    assert only.tolist() == [0]
    (none,) = M.where(dagrad.tensor(0.0))
    assert none.tolist() == [] and none.dtype == dagrad.int64


def test_where_with_three_arguments_still_selects() -> None:
    x, y = t64([1.0, 2.0]), t64([10.0, 20.0])
    out = M.where(dagrad.tensor([True, False]), x, y)
    assert out.tolist() == [1.0, 20.0] and type(out.grad_fn).__name__ == "WhereBackward0"
    assert M.where(dagrad.tensor([True, False]), input=x, other=0.0).tolist() == [1.0, 0.0]
    with pytest.raises(TypeError):
        M.where(dagrad.tensor([True]), x)


def test_nonzero_is_not_differentiable() -> None:
    out = M.nonzero(t64([1.0, 0.0]))
    assert out.grad_fn is None and not out.requires_grad


# --------------------------------------------------------------------------- reprs, dtypes


def test_reprs_match_pytorch() -> None:
    y = dagrad.arange(6.0).requires_grad_()
    assert repr(M.split(y, 4)) == ("(tensor([0., 1., 2., 3.], grad_fn=<SplitBackward0>), "
                                   "tensor([4., 5.], grad_fn=<SplitBackward0>))")
    assert repr(M.diag(y[:3])) == ("tensor([[0., 0., 0.],\n        [0., 1., 0.],\n"
                                   "        [0., 0., 2.]], grad_fn=<DiagEmbedBackward0>)")
    assert repr(M.trace(y.view(2, 3))) == "tensor(4., grad_fn=<TraceBackward0>)"


def test_integer_dtypes() -> None:
    assert M.trace(dagrad.ones(2, 2, dtype=dagrad.int32)).dtype == dagrad.int64
    assert M.trace(dagrad.ones(2, 2, dtype=dagrad.uint8)).item() == 2
    counts = M.repeat_interleave(dagrad.tensor([1, 2], dtype=dagrad.int32))
    assert counts.dtype == dagrad.int32 and counts.tolist() == [0, 1, 1]
    assert M.tril(dagrad.ones(2, 2, dtype=dagrad.int32)).tolist() == [[1, 0], [1, 1]]
    assert M.flip(dagrad.tensor([True, False]), 0).tolist() == [False, True]
    assert M.hstack([dagrad.ones(2), dagrad.ones(1, dtype=dagrad.float64)]).dtype == \
        dagrad.float64


def test_meshgrid_warns_without_indexing() -> None:
    with pytest.warns(UserWarning, match="it will be required to pass the indexing argument"):
        a, _ = M.meshgrid(dagrad.arange(2.0), dagrad.arange(3.0))
    assert tuple(a.shape) == (2, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        M.meshgrid(dagrad.arange(2.0), indexing="ij")


def test_meshgrid_rejects_a_matrix() -> None:
    with pytest.raises(RuntimeError, match=r"^dagrad\.meshgrid: Expected 0D or 1D tensor in the "
                                           r"tensor list but got"):
        M.meshgrid(dagrad.ones(2, 2), indexing="ij")


# --------------------------------------------------------------------------- keyword forms, methods


def test_keyword_forms(tt: Any) -> None:
    x = dagrad.arange(24.0).reshape(4, 6)
    xt = tt.arange(24.0).reshape(4, 6)
    pairs = [
        (M.split(x, split_size_or_sections=2, dim=1), tt.split(xt, split_size_or_sections=2,
                                                              dim=1)),
        (M.tensor_split(x, sections=2), tt.tensor_split(xt, sections=2)),
        (M.tensor_split(x, indices=[1, 3], dim=1), tt.tensor_split(xt, indices=[1, 3], dim=1)),
        (M.tensor_split(x, tensor_indices_or_sections=dagrad.tensor(3)),
         tt.tensor_split(xt, tensor_indices_or_sections=tt.tensor(3))),
        (M.hsplit(x, sections=3), tt.hsplit(xt, sections=3)),
        (M.vsplit(x, indices=[1]), tt.vsplit(xt, indices=[1])),
        (M.flip(x, dims=[0]), tt.flip(xt, dims=[0])),
        (M.repeat(x, repeats=(2, 1)), xt.repeat(repeats=(2, 1))),
        (M.tile(x, dims=(2,)), tt.tile(xt, dims=(2,))),
        (M.roll(x, shifts=1, dims=0), tt.roll(xt, shifts=1, dims=0)),
        (M.rot90(x, k=3, dims=(1, 0)), tt.rot90(xt, k=3, dims=(1, 0))),
        (M.movedim(x, source=0, destination=1), tt.movedim(xt, source=0, destination=1)),
        (M.unflatten(x, dim=1, sizes=(2, 3)), tt.unflatten(xt, dim=1, sizes=(2, 3))),
        (M.diagonal(x, offset=1, dim1=1, dim2=0), tt.diagonal(xt, offset=1, dim1=1, dim2=0)),
        (M.diag(x, diagonal=-1), tt.diag(xt, diagonal=-1)),
        (M.take_along_dim(x, indices=dagrad.tensor([[0]]), dim=1),
         tt.take_along_dim(xt, indices=tt.tensor([[0]]), dim=1)),
        (M.repeat_interleave(x, repeats=2, dim=0, output_size=8),
         tt.repeat_interleave(xt, repeats=2, dim=0, output_size=8)),
        (M.narrow_copy(x, dim=0, start=1, length=2), tt.narrow_copy(xt, dim=0, start=1,
                                                                    length=2)),
        (M.nonzero(x, as_tuple=False), tt.nonzero(xt, as_tuple=False)),
    ]
    for ours, theirs in pairs:
        ours = ours if isinstance(ours, tuple) else (ours,)
        theirs = theirs if isinstance(theirs, tuple) else (theirs,)
        assert len(ours) == len(theirs)
        for o, t in zip(ours, theirs, strict=True):
            assert_close(o, t.numpy())


@pytest.mark.parametrize("name, args, kwargs", [
    ("flip", (0, 1), {}), ("flip", ([0],), {}), ("repeat", (2, 1), {}), ("repeat", ((1, 2),), {}),
    ("tile", (2,), {}), ("tile", (2, 1, 1), {}), ("roll", (1, 0), {}), ("rot90", (), {}),
    ("split", (2,), {}), ("split", ([1, 3],), {}), ("split", (3,), {"dim": 1}),
    ("split_with_sizes", ([1, 3],), {}), ("chunk", (3, 1), {}), ("tensor_split", (3,), {}),
    ("hsplit", (2,), {}), ("vsplit", ([1],), {}), ("unflatten", (1, (3, 2)), {}),
    ("movedim", (0, 1), {}), ("moveaxis", (1, 0), {}), ("ravel", (), {}),
    ("repeat_interleave", (2,), {"dim": 1}), ("diagonal", (), {}), ("diag", (1,), {}),
    ("diag_embed", (), {}), ("diagflat", (), {}), ("tril", (-1,), {}), ("triu", (1,), {}),
    ("trace", (), {}), ("nonzero", (), {}), ("nonzero", (), {"as_tuple": True}),
    ("argwhere", (), {}), ("narrow_copy", (1, 1, 2), {}), ("fliplr", (), {}),
    ("flipud", (), {}),
])
def test_methods_match_pytorch_methods(tt: Any, name: str, args: tuple, kwargs: dict) -> None:
    x = dagrad.tensor([[0.0, 1.0, 2.0, 0.0, 4.0, 5.0], [6.0, 0.0, 8.0, 9.0, 10.0, 0.0],
                       [12.0, 13.0, 0.0, 15.0, 16.0, 17.0], [0.0, 19.0, 20.0, 21.0, 0.0, 23.0]])
    ours = M.METHODS[name](x, *args, **kwargs)
    theirs = getattr(to_t(tt, x), name)(*args, **kwargs)
    ours = ours if isinstance(ours, tuple) else (ours,)
    theirs = theirs if isinstance(theirs, tuple) else (theirs,)
    assert len(ours) == len(theirs)
    for o, t in zip(ours, theirs, strict=True):
        assert_close(o, t.numpy())


def test_atleast_forms() -> None:
    s = dagrad.tensor(1.0)
    assert M.atleast_1d() == ()
    assert tuple(M.atleast_1d(s).shape) == (1,)
    one, two = M.atleast_2d(s, dagrad.ones(3))
    assert tuple(one.shape) == (1, 1) and tuple(two.shape) == (1, 3)
    (only,) = M.atleast_3d((dagrad.ones(2, 3),))
    assert tuple(only.shape) == (2, 3, 1)
    with pytest.raises(TypeError):
        M.atleast_1d(1.0)


def test_squeeze_with_a_tuple_of_dims() -> None:
    x = t64(np.ones((2, 1, 3, 1)).tolist())
    y = x.squeeze((1, -1))
    assert tuple(y.shape) == (2, 3) and type(y.grad_fn).__name__ == "SqueezeBackward2"
    assert tuple(x.squeeze(()).shape) == (2, 1, 3, 1)
    assert tuple(t64(1.0).squeeze((0,)).shape) == ()
    with pytest.raises(RuntimeError, match="dim 1 appears multiple times in the list of dims"):
        x.squeeze((1, 1))


# --------------------------------------------------------------------------- take_along_dim


def test_take_along_dim_with_argsort_and_its_gradient() -> None:
    x = t64([[3.0, 1.0, 2.0], [0.0, 5.0, 4.0]])
    idx = dagrad.tensor(np.argsort(x.detach().numpy(), axis=1))
    out = M.take_along_dim(x, idx, 1)
    assert out.tolist() == [[1.0, 2.0, 3.0], [0.0, 4.0, 5.0]]
    (out * dagrad.tensor([1.0, 2.0, 3.0], dtype=dagrad.float64)).sum().backward()
    assert x.grad.tolist() == [[3.0, 1.0, 2.0], [1.0, 3.0, 2.0]]


def test_take_along_dim_wraps_indices_along_a_dim_like_pytorch(tt: Any) -> None:
    x = dagrad.arange(24.0).reshape(4, 6)
    idx = dagrad.tensor([[-1], [7], [-13], [100]])
    ours = M.take_along_dim(x, idx, 1)
    assert_close(ours, tt.take_along_dim(to_t(tt, x), to_t(tt, idx), 1).numpy())


# --------------------------------------------------------------------------- properties


@settings(max_examples=25, deadline=None)
@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, max_side=4),
                  elements=st.floats(-5, 5)), st.integers(1, 5))
def test_split_then_cat_is_the_identity(arr: np.ndarray, size: int) -> None:
    x = dagrad.from_numpy(arr)
    dim = arr.ndim - 1
    assert_close(dagrad.cat(M.split(x, size, dim), dim), arr)
    assert_close(dagrad.cat(M.tensor_split(x, size, dim), dim), arr)


@settings(max_examples=25, deadline=None)
@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=2, max_dims=3, max_side=4),
                  elements=st.floats(-5, 5)), st.integers(-6, 6), st.integers(-5, 5))
def test_roll_rot90_flip_invert(arr: np.ndarray, shift: int, k: int) -> None:
    x = dagrad.from_numpy(arr)
    assert_close(M.roll(M.roll(x, shift, 0), -shift, 0), arr)
    assert_close(M.rot90(M.rot90(x, k), -k), arr)
    assert_close(M.flip(M.flip(x, (0, -1)), (0, -1)), arr)
    assert_close(M.rot90(x, k), np.rot90(arr, k))


@settings(max_examples=20, deadline=None)
@given(st.lists(st.integers(0, 3), min_size=1, max_size=5))
def test_repeat_interleave_matches_numpy_and_gradchecks(counts: list[int]) -> None:
    x = dagrad.tensor(np.linspace(-1, 1, len(counts)), dtype=dagrad.float64, requires_grad=True)
    reps = dagrad.tensor(counts)
    assert_close(M.repeat_interleave(x, reps, 0).detach(), np.repeat(x.detach().numpy(), counts))
    assert gradcheck(lambda t: M.repeat_interleave(t, reps, 0), (x,))
    assert gradgradcheck(lambda t: M.repeat_interleave(t, reps, 0), (x,))
