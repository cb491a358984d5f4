"""In-place variants (``dagrad.ops.scatter.INPLACE_METHODS``): the scatter/index/mask family and
the in-place methods of the pointwise and special ops.

For every method: it equals its out-of-place op and returns ``self``, bumps ``_version`` once,
raises PyTorch's leaf message on a leaf that requires grad (and on a view of one), and, with
PyTorch as the oracle, gives the same values, node names and gradients on a non-leaf and on a
view of a non-leaf (``CopySlices``). Methods PyTorch cannot differentiate (``floor_divide_``,
``heaviside_``, ``scatter_`` with ``reduce``) raise the same message on backward.
"""
from __future__ import annotations

import importlib
import re
import warnings
import zlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

import dagrad
from dagrad import _errors
from dagrad.testing import assert_close

# the module, not the ``scatter`` function that shadows it in ``dagrad.ops`` once exported
SC = importlib.import_module("dagrad.ops.scatter")

torch = pytest.importorskip("torch")

M = SC.INPLACE_METHODS


@dataclass
class T:
    """A float tensor argument, uniform on ``[low, high)`` (requires grad unless ``rg=False``)."""

    shape: tuple
    low: float = -1.0
    high: float = 1.0
    rg: bool = True


@dataclass
class L:
    """A literal tensor argument (indices, masks)."""

    values: Any
    dtype: str = "int64"


@dataclass
class Case:
    name: str
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    low: float = -1.0
    high: float = 1.0
    dtype: str = "float64"
    grad: str = "yes"          # "yes", "no" (integer/bool self) or "notimpl" (backward raises)
    id: str = ""

    def __str__(self) -> str:
        return self.id or self.name


IDX = L([[1, 0, 2, 1], [2, 1, 0, 0]])          # no repeats within a column
IDX_REP = L([[0, 1, 2, 0], [0, 2, 2, 1], [1, 1, 0, 0]])
MASK = L([[True, False, True, True], [False, False, True, False], [True, True, False, False]],
         "bool")
POS = {"low": 0.5, "high": 2.0}

CASES = [
    # scatter / index / mask family (self is (3, 4))
    Case("scatter_", (0, IDX, T((2, 4)))),
    Case("scatter_", (1, L([[3, 0], [1, 2], [0, 1]]),), {"value": 1.5}, id="scatter_-value"),
    Case("scatter_", (0, IDX_REP, T((3, 4))), {"reduce": "add"}, grad="notimpl",
         id="scatter_-reduce"),
    Case("scatter_add_", (0, IDX_REP, T((3, 4)))),
    *[Case("scatter_reduce_", (0, IDX_REP, T((3, 4), **POS), r), {"include_self": s}, **POS,
           id=f"scatter_reduce_-{r}-{s}")
      for r in ("sum", "prod", "mean", "amax", "amin") for s in (True, False)],
    Case("index_add_", (1, L([3, 0, 3]), T((3, 3))), {"alpha": 2.0}),
    Case("index_copy_", (0, L([2, 0]), T((2, 4)))),
    Case("index_fill_", (1, L([0, 2]), 1.5)),
    Case("index_fill_", (1, L([0, 2]), T(())), id="index_fill_-tensor"),
    Case("index_put_", ((L([2, 0]), L([1, 3])), T((2,)))),
    Case("index_put_", ((L([0, 0, 2]),), T((4,)), True), id="index_put_-accumulate"),
    Case("put_", (L([0, 5, 11]), T((3,)))),
    Case("put_", (L([1, 1, -1]), T((3,)), True), id="put_-accumulate"),
    Case("masked_fill_", (MASK, -2.0)),
    Case("masked_fill_", (L([True, False, False, True], "bool"), T(())), id="masked_fill_-tensor"),
    Case("masked_scatter_", (MASK, T((3, 4)))),
    # unary pointwise / special
    *[Case(n) for n in ("absolute_", "negative_", "sign_", "sgn_", "exp2_", "expm1_", "sinh_",
                        "cosh_", "tan_", "atan_", "arctan_", "deg2rad_",
                        "rad2deg_", "sinc_", "erf_", "erfc_", "i0_", "floor_", "ceil_", "trunc_",
                        "fix_", "round_", "frac_", "nan_to_num_", "logical_not_")],
    *[Case(n, **POS) for n in ("log2_", "log10_", "log1p_", "rsqrt_", "lgamma_", "digamma_")],
    *[Case(n, low=-0.9, high=0.9) for n in ("asin_", "acos_", "arcsin_", "arccos_", "erfinv_")],
    # PyTorch records AcoshBackward1... for these, whose backward raises
    *[Case(n, low=-0.9, high=0.9, grad="notimpl") for n in ("atanh_", "arctanh_", "asinh_",
                                                            "arcsinh_")],
    *[Case(n, low=1.2, high=3.0, grad="notimpl") for n in ("acosh_", "arccosh_")],
    Case("logit_", low=0.1, high=0.9), Case("logit_", (0.2,), low=0.1, high=0.9, id="logit_-eps"),
    Case("polygamma_", (1,), **POS),
    Case("round_", (), {"decimals": 1}, id="round_-decimals"),
    Case("nan_to_num_", (0.0, 0.5, -0.5), id="nan_to_num_-args"),
    # binary and ternary
    Case("remainder_", (1.3,)), Case("remainder_", (T((4,), 0.5, 2.0),), id="remainder_-tensor"),
    Case("fmod_", (T((3, 4), 0.5, 2.0),)), Case("fmod_", (1.3,), id="fmod_-number"),
    Case("atan2_", (T((3, 4)),)), Case("arctan2_", (T((4,)),)),
    Case("hypot_", (T((3, 4)),)), Case("copysign_", (T((3, 4)),)),
    Case("copysign_", (-1.0,), id="copysign_-number"),
    Case("xlogy_", (T((3, 4), **POS),)), Case("xlogy_", (2.0,), id="xlogy_-number"),
    Case("clamp_min_", (0.1,)), Case("clamp_min_", (T((4,), -0.5, 0.5),), id="clamp_min_-tensor"),
    Case("clamp_max_", (0.1,)), Case("clamp_max_", (T((4,), -0.5, 0.5),), id="clamp_max_-tensor"),
    Case("lerp_", (T((3, 4)), 0.3)), Case("lerp_", (T((3, 4)), T((3, 4), 0, 1)), id="lerp_-tensor"),
    Case("addcmul_", (T((3, 4)), T((4,))), {"value": 0.5}),
    Case("addcdiv_", (T((3, 4)), T((4,), **POS)), {"value": 0.5}),
    Case("logical_and_", (T((3, 4), rg=False),)), Case("logical_or_", (T((4,), rg=False),)),
    Case("logical_xor_", (T((3, 4), rg=False),)),
    *[Case(n, (T((3, 4)),)) for n in ("eq_", "ne_", "lt_", "le_", "gt_", "ge_", "greater_",
                                      "greater_equal_", "less_", "less_equal_", "not_equal_")],
    *[Case(n, (0.2,), id=f"{n}-number") for n in ("eq_", "lt_", "ge_")],
    Case("floor_divide_", (0.3,), grad="notimpl"),
    Case("heaviside_", (T((4,), rg=False),), grad="notimpl"),
    # integer and bool tensors
    *[Case(n, (L([[1, 2, 3, 2], [5, 6, 1, 1], [2, 2, 7, 4]]),), dtype="int64", grad="no",
           id=f"{n}-int")
      for n in ("bitwise_and_", "bitwise_or_", "bitwise_xor_", "logical_and_", "remainder_",
                "eq_", "lt_")],
    *[Case(n, (L([True, False, True, False], "bool"),), dtype="bool", grad="no",
           id=f"{n}-bool") for n in ("bitwise_and_", "bitwise_xor_", "logical_or_", "ne_")],
    Case("bitwise_not_", dtype="int64", grad="no", id="bitwise_not_-int"),
    Case("logical_not_", dtype="bool", grad="no", id="logical_not_-bool"),
]
# Ops that record nothing on a float tensor in the graph: PyTorch still gives a modified view
# a fresh AsStridedBackward0 (same gradient); dagrad keeps the view's node.
NO_NODE = {"logical_and_", "logical_or_", "logical_xor_", "logical_not_"}
# the self of float cases is drawn from [low, high); integer selves from [-3, 8)
GRAD_CASES = [c for c in CASES if c.grad != "no"]
CASES_WITH_IDS = pytest.mark.parametrize("case", CASES, ids=[str(c) for c in CASES])


def _rng(case: Case, salt: str = "") -> np.random.Generator:
    return np.random.default_rng(zlib.crc32((str(case) + salt).encode()))


def _self_array(case: Case, shape: tuple = (3, 4)) -> np.ndarray:
    rng = _rng(case, "self")
    if case.dtype == "float64":
        return rng.uniform(case.low, case.high, shape)
    if case.dtype == "bool":
        return rng.random(shape) > 0.5
    return rng.integers(-3, 8, shape).astype(np.int64)


def _build(lib: Any, case: Case, grad: bool) -> tuple[tuple, dict, list]:
    """``(args, kwargs, tensors that require grad)`` for ``lib`` (dagrad or torch)."""
    rng = _rng(case, "args")
    leaves: list = []

    def one(a: Any) -> Any:
        if isinstance(a, T):
            t = lib.tensor(rng.uniform(a.low, a.high, a.shape), dtype=lib.float64)
            if grad and a.rg:
                t.requires_grad_(True)
                leaves.append(t)
            return t
        if isinstance(a, L):
            return lib.tensor(a.values, dtype=getattr(lib, a.dtype))
        if isinstance(a, tuple):
            return tuple(one(e) for e in a)
        return a
    args = one(case.args)
    kwargs = {k: one(v) for k, v in case.kwargs.items()}
    return args, kwargs, leaves


def _call(lib: Any, case: Case, y: Any, args: tuple, kwargs: dict) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)     # scatter's deprecated reduce
        if lib is dagrad:
            return M[case.name](y, *args, **kwargs)
        return getattr(y, case.name)(*args, **kwargs)


def _out_of_place(case: Case) -> Any:
    fn = M[case.name]
    return getattr(fn, "op", None) or getattr(SC, case.name[:-1])


def _np(t: Any) -> np.ndarray:
    if isinstance(t, dagrad.Tensor):
        return t._data
    if t._is_zerotensor():                  # PyTorch's symbolic zeros (sgn of a real tensor)
        return np.zeros(tuple(t.shape))
    return t.detach().numpy()


# --------------------------------------------------------------------------- tests


def test_every_method_is_tested() -> None:
    assert {c.name for c in CASES} == set(M)


def test_no_method_duplicates_an_existing_one() -> None:
    existing = set(dagrad.ops._INPLACE and [m.__name__ for m in dagrad.ops._INPLACE]) | {
        "clip_", "true_divide_", "multiply_", "subtract_"}
    assert not existing & set(M)


@CASES_WITH_IDS
def test_equals_out_of_place_and_bumps_version(case: Case) -> None:
    x = dagrad.from_numpy(_self_array(case))
    args, kwargs, _ = _build(dagrad, case, grad=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        expected = _out_of_place(case)(x.clone(), *args, **kwargs)
    y = x.clone()
    before = y._version
    out = _call(dagrad, case, y, args, kwargs)
    assert out is y
    assert y._version == before + 1
    assert y.dtype == x.dtype
    assert_close(y._data, expected._data.astype(y._data.dtype), equal_nan=True)


@CASES_WITH_IDS
def test_values_match_torch(case: Case) -> None:
    arr = _self_array(case)
    y = dagrad.from_numpy(arr.copy())
    ty = torch.from_numpy(arr.copy())
    _call(dagrad, case, y, *_build(dagrad, case, grad=False)[:2])
    _call(torch, case, ty, *_build(torch, case, grad=False)[:2])
    assert_close(y._data, _np(ty), equal_nan=True)


@pytest.mark.parametrize("case", GRAD_CASES, ids=[str(c) for c in GRAD_CASES])
def test_leaf_requiring_grad_raises_torch_message(case: Case) -> None:
    x = dagrad.tensor(_self_array(case), requires_grad=True)
    args, kwargs, _ = _build(dagrad, case, grad=False)
    with pytest.raises(RuntimeError, match=f"^{re.escape(_errors.LEAF_INPLACE)}$"):
        _call(dagrad, case, x, args, kwargs)
    with pytest.raises(RuntimeError, match=f"^{re.escape(_errors.VIEW_OF_LEAF_INPLACE)}$"):
        _call(dagrad, case, x[0:3], args, kwargs)
    assert x._version == 0


def _grads(lib: Any, case: Case, view: bool) -> dict:
    """Run the method on a non-leaf (or a view of one) and take gradients of a weighted sum."""
    arr = _self_array(case, (5, 4) if view else (3, 4))
    x = lib.tensor(arr, dtype=lib.float64, requires_grad=True)
    base = x * 1
    y = base[1:4] if view else base
    args, kwargs, leaves = _build(lib, case, grad=True)
    _call(lib, case, y, args, kwargs)
    out = base
    w = lib.tensor(_rng(case, "w").uniform(0.5, 1.5, tuple(out.shape)), dtype=lib.float64)
    loss = (out * w).sum()
    res = {"value": _np(out).copy(), "node": type(out.grad_fn).__name__,
           "y_node": type(y.grad_fn).__name__}
    try:
        res["grads"] = lib.autograd.grad(loss, [x] + leaves, allow_unused=True)
    except RuntimeError as e:
        res["error"] = str(e)
    return res


@pytest.mark.parametrize("view", [False, True], ids=["non-leaf", "view-of-non-leaf"])
@pytest.mark.parametrize("case", GRAD_CASES, ids=[str(c) for c in GRAD_CASES])
def test_gradients_match_torch(case: Case, view: bool) -> None:
    ours, theirs = _grads(dagrad, case, view), _grads(torch, case, view)
    assert_close(ours["value"], theirs["value"], equal_nan=True)
    assert ours["node"] == theirs["node"]
    if not (view and case.name in NO_NODE):
        assert ours["y_node"] == theirs["y_node"]
    if case.grad == "notimpl":
        assert ours.get("error") == theirs.get("error") and "is not implemented" in ours["error"]
        return
    assert "error" not in ours, ours.get("error")
    for k, (g, h) in enumerate(zip(ours["grads"], theirs["grads"], strict=True)):
        a = np.zeros(0) if g is None else _np(g)
        b = np.zeros(0) if h is None else _np(h)
        if g is None or h is None:         # unused on one side: the other must be all zero
            assert not np.any(a) and not np.any(b), f"input {k}"
            continue
        assert_close(a, b, rtol=1e-7, atol=1e-7, equal_nan=True, msg=f"input {k}:\n{a}\n{b}")


# --------------------------------------------------------------------------- focused checks


def test_saved_self_modified_in_place_raises_torch_message() -> None:
    x = dagrad.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1
    z = y.exp()
    M["masked_fill_"](z, dagrad.tensor([True, False]), 0.0)
    with pytest.raises(RuntimeError, match=re.escape(
            "is at version 1; expected version 0 instead")):
        z.sum().backward()


def test_scatter_reduce_prod_on_view_uses_the_original_self() -> None:
    # prod's derivative needs self: the in-place variant keeps the value before the write
    for lib in (dagrad, torch):
        x = lib.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=lib.float64, requires_grad=True)
        base = x * 1
        row = base[0]
        src = lib.tensor([5.0, 6.0], dtype=lib.float64)
        if lib is dagrad:
            M["scatter_reduce_"](row, 0, dagrad.tensor([1, 1]), src, "prod")
        else:
            row.scatter_reduce_(0, torch.tensor([1, 1]), src, "prod")
        base.sum().backward()
        if lib is dagrad:
            ours = x.grad._data.copy()
        else:
            assert_close(ours, x.grad.numpy())
    assert ours.tolist() == [[1.0, 30.0], [1.0, 1.0]]


def test_in_place_on_integer_tensor_refuses_a_float_result() -> None:
    with pytest.raises(RuntimeError, match="^result type Float can't be cast to the desired "
                       "output type Long$"):
        M["exp2_"](dagrad.tensor([1, 2]))


def test_masked_fill_mask_must_broadcast_to_self() -> None:
    with pytest.raises(RuntimeError, match=re.escape(
            "output with shape [4] doesn't match the broadcast shape [2, 4]")):
        M["masked_fill_"](dagrad.zeros(4), dagrad.ones(2, 4, dtype=dagrad.bool), 1.0)


def test_masked_scatter_mask_must_expand_to_self() -> None:
    with pytest.raises(RuntimeError) as ours:
        M["masked_scatter_"](dagrad.zeros(4), dagrad.ones(2, 4, dtype=dagrad.bool),
                             dagrad.ones(8))
    with pytest.raises(RuntimeError) as theirs:
        torch.zeros(4).masked_scatter_(torch.ones(2, 4, dtype=torch.bool), torch.ones(8))
    assert str(ours.value) == str(theirs.value).replace("torch.", "dagrad.").replace(
        "CPUBoolType", "dagrad.BoolTensor")


def test_comparison_in_place_records_zero_derivative_node() -> None:
    a = dagrad.tensor([0.5, 1.0, 2.0], requires_grad=True)
    y = a * 1
    M["eq_"](y, 1.0)
    assert y.tolist() == [0.0, 1.0, 0.0]
    assert type(y.grad_fn).__name__ == "EqBackward0"
    y.sum().backward()
    assert a.grad.tolist() == [0.0, 0.0, 0.0]


def test_in_place_under_no_grad_on_leaf_is_allowed() -> None:
    x = dagrad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    with dagrad.no_grad():
        M["index_fill_"](x, 0, dagrad.tensor([1]), 0.0)
    assert x.tolist() == [1.0, 0.0, 3.0]
    assert x.requires_grad and x.grad_fn is None and x._version == 1
