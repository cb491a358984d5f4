"""Tests for dagrad._printing: golden strings, plus an oracle comparison against PyTorch's repr."""
from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from dagrad._printing import (
    PRINT_OPTS,
    get_printoptions,
    printoptions,
    set_printoptions,
    tensor_repr,
)

f16, f32, f64 = np.float16, np.float32, np.float64
nan, inf = math.nan, math.inf


@pytest.fixture(autouse=True)
def _default_options() -> Iterator[None]:
    set_printoptions(profile="default")
    yield
    set_printoptions(profile="default")


# --------------------------------------------------------------------------------------------
# Golden strings (PyTorch 2.13 output with "torch." replaced by "dagrad.")
# --------------------------------------------------------------------------------------------

GOLDEN = [
    (np.array([1, 2, 3], f32), "tensor([1., 2., 3.])"),
    (np.array(3, f32), "tensor(3.)"),
    (np.array(3), "tensor(3)"),
    (np.array([1, 2, 3]), "tensor([1, 2, 3])"),
    (np.array([1.5, 2.25], f32), "tensor([1.5000, 2.2500])"),
    (np.array([1 / 3], f32), "tensor([0.3333])"),
    (np.array([-1.5, 2.0], f32), "tensor([-1.5000,  2.0000])"),
    (np.array([1e-5, 1.0], f32), "tensor([1.0000e-05, 1.0000e+00])"),
    (np.array([1e-4, 1.0], f32), "tensor([1.0000e-04, 1.0000e+00])"),
    (np.array([12345.6, 1.0], f32), "tensor([1.2346e+04, 1.0000e+00])"),
    (np.array([100.0, 2.5], f32), "tensor([100.0000,   2.5000])"),
    (np.array([1e6, 2.5], f32), "tensor([1.0000e+06, 2.5000e+00])"),
    (np.array([123.456, 1e-3], f32), "tensor([1.2346e+02, 1.0000e-03])"),
    (np.array([nan, inf, -inf, 1.0], f32), "tensor([nan, inf, -inf, 1.])"),
    (np.array([True, False]), "tensor([ True, False])"),
    (np.array([1 + 2j], np.complex64), "tensor([1.+2.j])"),
    (np.array([1.0, 2.0], f64), "tensor([1., 2.], dtype=dagrad.float64)"),
    (np.array([1.0, 2.0], f16), "tensor([1., 2.], dtype=dagrad.float16)"),
    (np.array([1, 2], np.int32), "tensor([1, 2], dtype=dagrad.int32)"),
    (np.array([1, 2], np.uint8), "tensor([1, 2], dtype=dagrad.uint8)"),
    (np.array([], f32), "tensor([])"),
    (np.zeros((2, 0), f32), "tensor([], size=(2, 0))"),
    (np.array([], np.int32), "tensor([], dtype=dagrad.int32)"),
    (np.array([], f64), "tensor([], dtype=dagrad.float64)"),
    (
        np.arange(12, dtype=f32).reshape(2, 2, 3),
        "tensor([[[ 0.,  1.,  2.],\n"
        "         [ 3.,  4.,  5.]],\n"
        "\n"
        "        [[ 6.,  7.,  8.],\n"
        "         [ 9., 10., 11.]]])",
    ),
    (
        np.arange(2000, dtype=f32),
        "tensor([0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 1.9970e+03, 1.9980e+03,\n"
        "        1.9990e+03])",
    ),
]


@pytest.mark.parametrize(("arr", "expected"), GOLDEN, ids=[g[1][:40] for g in GOLDEN])
def test_golden(arr: np.ndarray, expected: str) -> None:
    assert tensor_repr(arr) == expected


def test_golden_suffixes() -> None:
    assert (
        tensor_repr(np.array([1.0, 2.0]), suffixes=["requires_grad=True"])
        == "tensor([1., 2.], dtype=dagrad.float64, requires_grad=True)"
    )
    assert (
        tensor_repr(np.arange(14, dtype=f32), suffixes=["grad_fn=<MulBackward0>"])
        == "tensor([ 0.,  1.,  2.,  3.,  4.,  5.,  6.,  7.,  8.,  9., 10., 11., 12., 13.],\n"
        "       grad_fn=<MulBackward0>)"
    )
    assert (
        tensor_repr(np.linspace(0, 9004.5, 10), suffixes=["grad_fn=<MulBackward0>"])
        == "tensor([   0.0000, 1000.5000, 2001.0000, 3001.5000, 4002.0000, 5002.5000,\n"
        "        6003.0000, 7003.5000, 8004.0000, 9004.5000], dtype=dagrad.float64,\n"
        "       grad_fn=<MulBackward0>)"
    )


def test_suffixes_verbatim_in_order_and_module_name() -> None:
    out = tensor_repr(np.array([1, 2], np.int8), suffixes=["a=1", "b=2"], module="dg")
    assert out == "tensor([1, 2], dtype=dg.int8, a=1, b=2)"


def test_default_dtype_float64() -> None:
    assert tensor_repr(np.array([1.0]), default_dtype=np.dtype(f64)) == "tensor([1.])"
    assert tensor_repr(np.array([1.0], f32), default_dtype=np.dtype(f64)) == (
        "tensor([1.], dtype=dagrad.float32)"
    )
    assert tensor_repr(np.array([1j], np.complex128), default_dtype=np.dtype(f64)) == (
        "tensor([0.+1.j])"
    )
    assert tensor_repr(np.array([1j], np.complex128)) == (
        "tensor([0.+1.j], dtype=dagrad.complex128)"
    )


def test_set_printoptions_precision_and_profile() -> None:
    arr = np.array([1 / 3, 2 / 3], f32)
    set_printoptions(precision=2)
    assert tensor_repr(arr) == "tensor([0.33, 0.67])"
    set_printoptions(profile="default")
    assert tensor_repr(arr) == "tensor([0.3333, 0.6667])"


def test_set_printoptions_sci_mode() -> None:
    arr = np.array([1e-5, 1.0], f32)
    set_printoptions(sci_mode=False)
    assert tensor_repr(arr) == "tensor([0.0000, 1.0000])"
    set_printoptions(sci_mode=True)
    assert tensor_repr(np.array([1.5, 2.0], f32)) == "tensor([1.5000e+00, 2.0000e+00])"
    # As in PyTorch, any call without sci_mode resets it to automatic.
    set_printoptions(precision=4)
    assert PRINT_OPTS.sci_mode is None
    assert tensor_repr(arr) == "tensor([1.0000e-05, 1.0000e+00])"


def test_threshold_edgeitems_profiles() -> None:
    set_printoptions(threshold=5)
    assert tensor_repr(np.arange(10)) == "tensor([0, 1, 2,  ..., 7, 8, 9])"
    set_printoptions(profile="short", threshold=5)
    assert tensor_repr(np.arange(10)) == "tensor([0, 1,  ..., 8, 9])"
    set_printoptions(profile="full")
    assert PRINT_OPTS.threshold == math.inf
    assert "..." not in tensor_repr(np.arange(5000))
    set_printoptions(profile="default")
    assert tensor_repr(np.arange(10)) == "tensor([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])"


def test_edgeitems_zero_adds_size() -> None:
    set_printoptions(threshold=3, edgeitems=0)
    assert tensor_repr(np.ones(5, f32)) == "tensor([...], size=(5,))"
    assert tensor_repr(np.ones((4, 5), f32)) == "tensor([...], size=(4, 5))"
    assert tensor_repr(np.ones(2, f32)) == "tensor([1., 1.], size=(2,))"


def test_get_printoptions_and_context_manager() -> None:
    assert get_printoptions() == {
        "precision": 4,
        "threshold": 1000,
        "edgeitems": 3,
        "linewidth": 80,
        "sci_mode": None,
    }
    with printoptions(precision=1, linewidth=40):
        assert get_printoptions()["precision"] == 1
        assert tensor_repr(np.array([0.25], f32)) == "tensor([0.2])"
    assert get_printoptions()["precision"] == 4
    assert get_printoptions()["linewidth"] == 80


def test_various_inputs() -> None:
    assert tensor_repr(np.array([1.0, 2.0], ">f4")) == "tensor([1., 2.])"
    assert tensor_repr(np.float64(2.5)) == "tensor(2.5000, dtype=dagrad.float64)"
    assert tensor_repr(np.array(-0.0, f32)) == "tensor(-0.)"
    assert tensor_repr(np.array(complex(1, -0.0), np.complex64)) == "tensor(1.-0.j)"
    assert tensor_repr(np.zeros((0, 3, 0), np.bool_)) == (
        "tensor([], size=(0, 3, 0), dtype=dagrad.bool)"
    )
    assert tensor_repr(np.array([1.0]), prefix="Foo(") == "Foo([1.], dtype=dagrad.float64)"


def test_unsupported_dtype_raises() -> None:
    with pytest.raises(TypeError):
        tensor_repr(np.array(["a"]))
    with pytest.raises(TypeError):
        tensor_repr(np.array([1.0]), default_dtype=np.dtype(object))


# --------------------------------------------------------------------------------------------
# Oracle: compare against PyTorch's own repr
# --------------------------------------------------------------------------------------------

FLOATS = [f16, f32, f64]
INTS = [np.int8, np.int16, np.int32, np.int64, np.uint8]
COMPLEXES = [np.complex64, np.complex128]
ALL_DTYPES = FLOATS + INTS + [np.bool_] + COMPLEXES

SPECIAL = [
    0.0, -0.0, nan, inf, -inf, 1.0, -1.0, 0.5, 0.1, 1 / 3, 1e-4, 9.99995e-5, 1e-5, 1e-300,
    5e-324, 999.99995, 1000.0, 1e8, 1.0000001e8, 123456789.0, 65504.0, 6e-8, 1e300, -2.5e7,
]  # fmt: skip

# One element style per array, so that int, fixed and scientific modes all occur.
FLOAT_STYLES = [
    st.integers(-2000, 2000).map(float),
    st.integers(-60, 60).map(lambda i: i / 8),
    st.floats(-10, 10),
    st.floats(-1e5, 1e5),
    st.floats(0, 1e-3),
    st.one_of(st.sampled_from(SPECIAL), st.integers(-9, 9).map(float)),
    st.one_of(st.sampled_from(SPECIAL), st.floats(-100, 100), st.integers(-99, 99).map(float)),
    st.floats(allow_nan=True, allow_infinity=True),
]

SHAPES = st.one_of(
    hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=5),
    hnp.array_shapes(min_dims=1, max_dims=2, min_side=1, max_side=40),  # wide rows that wrap
)


def _float_array(draw: st.DrawFn, shape: tuple[int, ...], dtype: Any) -> np.ndarray:
    style = draw(st.sampled_from(FLOAT_STYLES))
    values = draw(hnp.arrays(np.float64, shape, elements=style))
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        return values.astype(dtype)


@st.composite
def arrays(draw: st.DrawFn, dtypes: list[Any] = ALL_DTYPES, shapes: Any = SHAPES) -> np.ndarray:
    dtype = np.dtype(draw(st.sampled_from(dtypes)))
    shape = draw(shapes)
    if dtype.kind == "f":
        return _float_array(draw, shape, dtype)
    if dtype.kind == "c":
        part = np.float32 if dtype == np.complex64 else np.float64
        out = np.empty(shape, dtype)
        out.real = _float_array(draw, shape, part)
        out.imag = _float_array(draw, shape, part)
        return out
    if dtype.kind == "b":
        return draw(hnp.arrays(dtype, shape))
    info = np.iinfo(dtype)
    small = st.integers(max(info.min, -20), min(info.max, 20))
    return draw(hnp.arrays(dtype, shape, elements=st.one_of(small, hnp.from_dtype(dtype))))


OPTIONS = st.fixed_dictionaries(
    {},
    optional={
        "profile": st.sampled_from(["default", "short", "full"]),
        "precision": st.integers(0, 8),
        "threshold": st.one_of(st.integers(0, 60), st.just(math.inf)),
        "edgeitems": st.integers(0, 4),
        "linewidth": st.integers(10, 160),
        "sci_mode": st.one_of(st.none(), st.booleans()),
    },
)

ORACLE = settings(
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.fixture(scope="module")
def torch() -> Any:
    return pytest.importorskip("torch")


@contextlib.contextmanager
def _both_options(torch: Any, opts: dict[str, Any]) -> Iterator[None]:
    torch.set_printoptions(**opts)
    set_printoptions(**opts)
    try:
        yield
    finally:
        torch.set_printoptions(profile="default")
        set_printoptions(profile="default")


def _torch_repr(torch: Any, arr: np.ndarray, grad: str | None = None) -> str:
    t = torch.from_numpy(np.array(arr, copy=True, order="C"))
    if grad == "requires_grad":
        t.requires_grad_()
    elif grad == "grad_fn":
        t = t.requires_grad_().clone()  # value-preserving, unlike `* 1` on complex inf
    return repr(t)


def _check(torch: Any, arr: np.ndarray, suffixes: Sequence[str] = (), **kwargs: Any) -> None:
    """Compare with PyTorch, spelling dtypes ``torch.*``: "dagrad" is one character longer than
    "torch", so a plain ``.replace("torch.", "dagrad.")`` would shift the suffix-wrapping
    decisions by one column. The ``dagrad.`` spelling is covered by the golden tests."""
    grad = {"requires_grad=True": "requires_grad", "grad_fn=<CloneBackward0>": "grad_fn"}
    expected = _torch_repr(torch, arr, grad[suffixes[0]] if suffixes else None)
    got = tensor_repr(arr, suffixes=suffixes, module="torch", **kwargs)
    assert got == expected, f"\narray={arr!r}\nwant={expected}\ngot ={got}"
    # Away from the wrap boundary the module spelling is the only difference.
    if "\n" not in expected and len(expected) < PRINT_OPTS.linewidth - 5:
        assert tensor_repr(arr, suffixes=suffixes, **kwargs) == expected.replace(
            "torch.", "dagrad."
        )


@settings(ORACLE, max_examples=500)
@given(arr=arrays())
def test_oracle_default_options(torch: Any, arr: np.ndarray) -> None:
    _check(torch, arr)


@settings(ORACLE, max_examples=500)
@given(arr=arrays(), opts=OPTIONS)
def test_oracle_print_options(torch: Any, arr: np.ndarray, opts: dict[str, Any]) -> None:
    with _both_options(torch, opts):
        _check(torch, arr)


@settings(ORACLE, max_examples=300)
@given(
    arr=arrays(FLOATS + COMPLEXES),
    opts=OPTIONS,
    grad=st.sampled_from(["requires_grad", "grad_fn"]),
)
def test_oracle_suffixes(torch: Any, arr: np.ndarray, opts: dict[str, Any], grad: str) -> None:
    suffix = "requires_grad=True" if grad == "requires_grad" else "grad_fn=<CloneBackward0>"
    with _both_options(torch, opts):
        _check(torch, arr, suffixes=[suffix])


BIG_SHAPES = st.sampled_from(
    [(1001,), (2000,), (40, 40), (3, 500), (500, 3), (11, 11, 11), (2, 3, 400), (7, 1, 8, 20)]
)


@settings(ORACLE, max_examples=60)
@given(arr=arrays(shapes=BIG_SHAPES), linewidth=st.sampled_from([80, 40, 120]))
def test_oracle_summarised(torch: Any, arr: np.ndarray, linewidth: int) -> None:
    assert arr.size > 1000
    with _both_options(torch, {"linewidth": linewidth}):
        _check(torch, arr)


@settings(ORACLE, max_examples=150)
@given(arr=arrays())
def test_oracle_default_dtype_float64(torch: Any, arr: np.ndarray) -> None:
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        _check(torch, arr, default_dtype=np.dtype(np.float64))
    finally:
        torch.set_default_dtype(old)


def test_oracle_subclass_prefix(torch: Any) -> None:
    class MyTensor(torch.Tensor):
        pass

    for arr in (np.arange(30, dtype=f32).reshape(3, 10) / 7, np.array([], f64), np.array(2)):
        t = torch.from_numpy(arr).as_subclass(MyTensor)
        assert tensor_repr(arr, prefix="MyTensor(", module="torch") == repr(t)


FLOAT16_CASES = [
    [65504.0, -65504.0, 6e-8],
    [0.1, 0.2, 0.30004],
    [1e-4, 2048.0, nan],
    [1.0, 2.0, 3.0, -inf],
    [0.0, -0.0],
    [1e4, 1e-3, 7.5],
    [1 / 3, 999.5, 1000.0],
]


@pytest.mark.parametrize("values", FLOAT16_CASES)
def test_oracle_float16(torch: Any, values: list[float]) -> None:
    arr = np.array(values, f16)
    for precision in (2, 4, 6):
        for sci_mode in (None, False, True):
            with _both_options(torch, {"precision": precision, "sci_mode": sci_mode}):
                _check(torch, arr)
                _check(torch, arr.reshape(-1, 1))
                _check(torch, arr.astype(np.complex64) * (1 - 2j))
