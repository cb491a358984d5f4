"""Tensor basics, against PyTorch 2.13's values and texts: dtypes, metadata, conversions, NumPy
interop, legacy types, type promotion, factories, in-place initialisers and a few reprs.

Where PyTorch is installed, promotion and ``linspace`` are compared with it over many cases.
"""
from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

import dagrad


def exact(message: str) -> str:
    return "^" + re.escape(message) + "$"


@pytest.fixture(autouse=True)
def _default_printoptions() -> Iterator[None]:
    yield
    dagrad.set_printoptions(profile="default")


# ------------------------------------------------------------------------------------------
# dtypes
# ------------------------------------------------------------------------------------------

DTYPES = [
    # dtype, repr of tensor([1, 0], dtype=...), legacy type, floating, complex, signed, itemsize
    (dagrad.float16, "tensor([1., 0.], dtype=dagrad.float16)", "HalfTensor", True, False, True,
     2),
    (dagrad.float32, "tensor([1., 0.])", "FloatTensor", True, False, True, 4),
    (dagrad.float64, "tensor([1., 0.], dtype=dagrad.float64)", "DoubleTensor", True, False, True,
     8),
    (dagrad.int8, "tensor([1, 0], dtype=dagrad.int8)", "CharTensor", False, False, True, 1),
    (dagrad.int16, "tensor([1, 0], dtype=dagrad.int16)", "ShortTensor", False, False, True, 2),
    (dagrad.int32, "tensor([1, 0], dtype=dagrad.int32)", "IntTensor", False, False, True, 4),
    (dagrad.int64, "tensor([1, 0])", "LongTensor", False, False, True, 8),
    (dagrad.uint8, "tensor([1, 0], dtype=dagrad.uint8)", "ByteTensor", False, False, False, 1),
    (dagrad.bool, "tensor([ True, False])", "BoolTensor", False, False, False, 1),
    (dagrad.complex64, "tensor([1.+0.j, 0.+0.j])", "ComplexFloatTensor", False, True, True, 8),
    (dagrad.complex128, "tensor([1.+0.j, 0.+0.j], dtype=dagrad.complex128)",
     "ComplexDoubleTensor", False, True, True, 16),
]


@pytest.mark.parametrize("dt, text, legacy, floating, cplx, signed, size", DTYPES,
                         ids=[str(d[0]) for d in DTYPES])
def test_dtype(dt: Any, text: str, legacy: str, floating: bool, cplx: bool, signed: bool,
               size: int) -> None:
    t = dagrad.tensor([1, 0], dtype=dt)
    assert repr(t) == text and t.dtype is dt
    assert repr(dt) == str(dt) == f"dagrad.{dt.name}"
    assert t.type() == f"dagrad.{legacy}"
    assert (t.is_floating_point(), t.is_complex()) == (floating, cplx)
    assert (dt.is_floating_point, dt.is_complex, dt.is_signed) == (floating, cplx, signed)
    assert t.element_size() == dt.itemsize == size


def test_dtype_aliases() -> None:
    assert dagrad.float is dagrad.float32 and dagrad.double is dagrad.float64
    assert dagrad.half is dagrad.float16 and dagrad.long is dagrad.int64
    assert dagrad.int is dagrad.int32 and dagrad.short is dagrad.int16
    assert dagrad.cfloat is dagrad.complex64 and dagrad.cdouble is dagrad.complex128
    assert dagrad.get_default_dtype() is dagrad.float32


def test_inferred_dtypes() -> None:
    cases = [([1, 2], dagrad.int64), ([1., 2], dagrad.float32), ([True], dagrad.bool),
             (1j, dagrad.complex64), ([1, 2.5, True], dagrad.float32), ([True, 1], dagrad.int64),
             (np.float64(1.), dagrad.float64), (np.int32(1), dagrad.int32),
             ([np.int32(1)], dagrad.int32), ([], dagrad.float32),
             (np.array([1, 2], dtype=np.int32), dagrad.int32),
             ([dagrad.tensor(1.), dagrad.tensor(2.)], dagrad.float32), (((1, 2), (3, 4)),
                                                                        dagrad.int64)]
    for data, dt in cases:
        assert dagrad.tensor(data).dtype is dt, data
    assert dagrad.tensor([[], []]).shape == dagrad.Size([2, 0])


# ------------------------------------------------------------------------------------------
# Metadata and conversions
# ------------------------------------------------------------------------------------------

def test_shape_and_size() -> None:
    t = dagrad.tensor([[1., 2., 3.], [4., 5., 6.]])
    assert t.shape == dagrad.Size([2, 3]) == (2, 3) and isinstance(t.shape, tuple)
    assert repr(t.shape) == str(t.size()) == "dagrad.Size([2, 3])"
    assert t.size(0) == 2 and t.size(-1) == 3 and type(t.size(0)) is int
    assert (t.dim(), t.ndim, t.numel(), dagrad.numel(t)) == (2, 2, 6, 6)
    assert repr(t.shape[1:]) == "dagrad.Size([3])" and repr(t.shape + (4,)) == \
        "dagrad.Size([2, 3, 4])"
    assert repr(dagrad.Size([])) == "dagrad.Size([])" and dagrad.Size([2, 3]).numel() == 6
    s = dagrad.tensor(1.)
    assert (s.dim(), s.numel(), s.shape) == (0, 1, dagrad.Size([]))
    assert len(dagrad.ones(4, 2)) == 4


def test_item_and_tolist() -> None:
    assert dagrad.tensor([1.5]).item() == 1.5 and type(dagrad.tensor([1.5]).item()) is float
    assert type(dagrad.tensor([1], dtype=dagrad.int8).item()) is int
    assert dagrad.tensor([True]).item() is True
    assert dagrad.tensor([1 + 2j]).item() == 1 + 2j
    assert dagrad.tensor(0.1).item() == 0.10000000149011612        # the float32 value
    assert dagrad.tensor([[1, 2], [3, 4]]).tolist() == [[1, 2], [3, 4]]
    assert dagrad.tensor(5).tolist() == 5 and dagrad.zeros(2, 0).tolist() == [[], []]
    assert int(dagrad.tensor(3.9)) == 3 and int(dagrad.tensor(-3.9)) == -3
    assert float(dagrad.tensor([2.5])) == 2.5 and bool(dagrad.tensor([2])) is True
    assert dagrad.tensor(3., requires_grad=True).item() == 3.0


def test_numpy_shares_memory() -> None:
    t = dagrad.tensor([[1., 2.], [3., 4.]])
    n = t.numpy()
    n[0, 0] = 100.
    assert t[0, 0].item() == 100. and n.dtype == np.float32
    t.add_(1)
    assert n[0, 0] == 101.
    assert np.asarray(t).dtype == np.float32
    assert dagrad.tensor([1], dtype=dagrad.int16).numpy().dtype == np.int16


def test_numpy_of_tensor_requiring_grad() -> None:
    x = dagrad.tensor([1., 2.], requires_grad=True)
    message = exact("Can't call numpy() on Tensor that requires grad. Use "
                    "tensor.detach().numpy() instead.")
    with pytest.raises(RuntimeError, match=message):
        x.numpy()
    with pytest.raises(RuntimeError, match=message):
        np.asarray(x)
    d = np.asarray(x.detach())
    assert d.tolist() == [1., 2.] and np.shares_memory(d, x.detach().numpy())
    assert x.tolist() == [1., 2.]            # tolist and item need no detach


def test_from_numpy_and_as_tensor_share_memory() -> None:
    a = np.arange(3.)
    f = dagrad.from_numpy(a)
    assert f.dtype is dagrad.float64
    a[0] = 7
    f[1] = 9
    assert f.tolist() == [7., 9., 2.] and a.tolist() == [7., 9., 2.]
    b = np.arange(3., dtype=np.float32)
    shared, copied = dagrad.as_tensor(b), dagrad.tensor(b)
    b[0] = 5
    assert shared.tolist() == [5., 1., 2.] and copied.tolist() == [0., 1., 2.]
    assert dagrad.as_tensor(b, dtype=dagrad.float64).dtype is dagrad.float64
    assert dagrad.from_numpy(np.arange(3)).dtype is dagrad.int64
    with pytest.raises(TypeError, match=exact("expected np.ndarray (got list)")):
        dagrad.from_numpy([1, 2])


def test_type_conversions() -> None:
    t = dagrad.tensor([1.7, -1.7])
    assert repr(t.long()) == "tensor([ 1, -1])"
    assert repr(t.int()) == "tensor([ 1, -1], dtype=dagrad.int32)"
    assert repr(dagrad.tensor([1.7, 0.]).bool()) == "tensor([ True, False])"
    assert repr(t.double()) == "tensor([ 1.7000, -1.7000], dtype=dagrad.float64)"
    assert repr(dagrad.tensor([True, False]).float()) == "tensor([1., 0.])"
    assert t.half().dtype is dagrad.float16 and t.to(dagrad.int16).dtype is dagrad.int16
    assert t.float() is t and t.to(dagrad.float32) is t        # no copy when nothing changes
    assert t.to(dtype=dagrad.int64).dtype is dagrad.int64
    assert t.to(dagrad.ones(1, dtype=dagrad.int32)).dtype is dagrad.int32
    assert t.to("cpu") is t and t.to(dagrad.device("cpu"), dagrad.float64).dtype is \
        dagrad.float64
    assert repr(t.type(dagrad.float64)) == "tensor([ 1.7000, -1.7000], dtype=dagrad.float64)"
    assert t.type("dagrad.DoubleTensor").dtype is dagrad.float64
    assert t.type(dagrad.int32).dtype is dagrad.int32
    x = dagrad.ones(2, requires_grad=True)
    assert repr(x.double()) == "tensor([1., 1.], dtype=dagrad.float64, grad_fn=<ToCopyBackward0>)"


def test_device() -> None:
    t = dagrad.ones(2)
    assert repr(t.device) == "device(type='cpu')" and str(t.device) == "cpu"
    assert t.device == dagrad.device("cpu") == "cpu" and not t.is_cuda


def test_legacy_types_as_in_seed_004() -> None:
    dtype = dagrad.FloatTensor
    N, D_in = 4, 3
    x = dagrad.autograd.Variable(dagrad.randn(N, D_in).type(dtype), requires_grad=False)
    w1 = dagrad.autograd.Variable(dagrad.randn(D_in, 2).type(dtype), requires_grad=True)
    assert x.dtype is dagrad.float32 and x.type() == "dagrad.FloatTensor"
    assert isinstance(x, dagrad.FloatTensor) and not isinstance(x, dagrad.DoubleTensor)
    assert isinstance(x, dagrad.Tensor) and w1.requires_grad and w1.is_leaf
    assert dagrad.randn(N, D_in).type(dagrad.DoubleTensor).type() == "dagrad.DoubleTensor"
    assert dagrad.randn(2).type(dagrad.LongTensor).dtype is dagrad.int64
    assert repr(dagrad.FloatTensor) == "<class 'dagrad.FloatTensor'>"
    assert repr(dagrad.FloatTensor([1, 2])) == "tensor([1., 2.])"
    assert repr(dagrad.LongTensor([1.5, 2])) == "tensor([1, 2])"
    assert repr(dagrad.DoubleTensor([[1, 2]])) == "tensor([[1., 2.]], dtype=dagrad.float64)"
    assert dagrad.FloatTensor(2, 3).shape == (2, 3) and dagrad.Tensor(2, 3).dtype is \
        dagrad.float32
    assert repr(dagrad.Tensor([1, 2])) == "tensor([1., 2.])"


def test_seed_004_data_update_spelling() -> None:
    # w1.data -= learning_rate * w1.grad.data; w1.grad.data.zero_(): outside the graph
    w = dagrad.ones(2, 2, requires_grad=True)
    (w * 3).sum().backward()
    w.data -= 0.5 * w.grad.data
    assert repr(w) == "tensor([[-0.5000, -0.5000],\n        [-0.5000, -0.5000]], " \
                      "requires_grad=True)"
    assert w._version == 0 and w.is_leaf
    w.grad.data.zero_()
    assert repr(w.grad) == "tensor([[0., 0.],\n        [0., 0.]])"


def test_seed_004_loss_data_index_0_on_a_0_dim_tensor() -> None:
    # seed 004 prints `loss.data[0]`, written for PyTorch 0.3 where losses had shape (1,)
    loss = dagrad.tensor(3.5, requires_grad=True) * 2
    message = exact("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or "
                    "`tensor.item<T>()` in C++ to convert a 0-dim tensor to a number")
    with pytest.raises(IndexError, match=message):
        loss.data[0]
    with pytest.raises(IndexError, match=message):
        loss[0]
    assert loss.data.item() == 7.0


# ------------------------------------------------------------------------------------------
# Type promotion
# ------------------------------------------------------------------------------------------

NAMES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64",
         "complex64", "complex128"]
SCALARS = [True, 2, 2.5, 1 + 1j]


def _promotion_table(lib: Any) -> list[str]:
    """result_type and the dtype of +, *, / over tensor/0-dim/scalar operand pairs."""
    def make(kind: str, name: str) -> Any:
        return lib.ones(2 if kind == "t" else (), dtype=getattr(lib, name))

    def dt(f: Any) -> str:
        try:
            r = f()
        except Exception as e:  # noqa: BLE001
            return type(e).__name__
        return str(r if not hasattr(r, "dtype") else r.dtype).split(".")[-1]

    rows = []
    for k1, k2 in itertools.product("tz", repeat=2):
        for n1, n2 in itertools.product(NAMES, repeat=2):
            # float16 with complex gives complex32 (ComplexHalf) in PyTorch: NumPy has no such type
            if {n1, n2} & {"float16"} and {n1, n2} & {"complex64", "complex128"}:
                continue
            a, b = make(k1, n1), make(k2, n2)
            rows.append(f"{k1}{n1} {k2}{n2} rt={dt(lambda: lib.result_type(a, b))} "
                        f"add={dt(lambda: a + b)} mul={dt(lambda: a * b)} div={dt(lambda: a / b)}")
    for k1, n1, s in itertools.product("tz", NAMES, SCALARS):
        if n1 == "float16" and isinstance(s, complex):
            continue
        a = make(k1, n1)
        rows.append(f"{k1}{n1} {s!r} rt={dt(lambda: lib.result_type(a, s))} "
                    f"add={dt(lambda: a + s)} radd={dt(lambda: s + a)} mul={dt(lambda: a * s)} "
                    f"div={dt(lambda: a / s)} rdiv={dt(lambda: s / a)}")
    return rows


PROMOTION_GOLDEN = [
    ((dagrad.ones(2, dtype=dagrad.int64), 2.5), dagrad.float32),
    ((dagrad.ones(2, dtype=dagrad.float32), dagrad.tensor(1., dtype=dagrad.float64)),
     dagrad.float32),
    ((dagrad.ones(2, dtype=dagrad.int32), dagrad.tensor(1., dtype=dagrad.float64)),
     dagrad.float64),
    ((dagrad.ones(2, dtype=dagrad.uint8), dagrad.ones(2, dtype=dagrad.int8)), dagrad.int16),
    ((dagrad.ones(2, dtype=dagrad.int64), dagrad.ones(2, dtype=dagrad.float16)), dagrad.float16),
    ((dagrad.ones(2, dtype=dagrad.float64), 1j), dagrad.complex128),
    ((dagrad.ones(2, dtype=dagrad.bool), True), dagrad.bool),
    ((dagrad.ones(2, dtype=dagrad.uint8), 3), dagrad.uint8),
    ((dagrad.tensor(1), dagrad.ones(2, dtype=dagrad.int8)), dagrad.int8),
]


@pytest.mark.parametrize("operands, expected", PROMOTION_GOLDEN)
def test_promotion_golden(operands: tuple, expected: Any) -> None:
    a, b = operands
    assert dagrad.result_type(a, b) is expected and (a + b).dtype is expected


def test_integer_division_gives_default_float() -> None:
    assert repr(dagrad.tensor([1, 2]) / 2) == "tensor([0.5000, 1.0000])"
    assert repr(dagrad.tensor([3, 4]) / dagrad.tensor([2, 2])) == "tensor([1.5000, 2.0000])"


def test_promotion_matches_torch() -> None:
    torch = pytest.importorskip("torch")
    ours, theirs = _promotion_table(dagrad), _promotion_table(torch)
    assert len(ours) == len(theirs) > 500
    mismatches = [f"{a}\n  torch: {b}" for a, b in zip(ours, theirs, strict=True) if a != b]
    assert not mismatches, "\n".join(mismatches[:20])


def test_negative_scalar_wraps_in_uint8() -> None:
    # PyTorch: the scalar is cast to uint8 (wraps): tensor([0, 0], dtype=torch.uint8)
    assert repr(dagrad.ones(2, dtype=dagrad.uint8) + (-1)) == "tensor([0, 0], dtype=dagrad.uint8)"


def test_reflected_floordiv_promotion() -> None:
    # PyTorch: 2.5 // int64 tensor -> float32; 2 // 0-dim int8 tensor -> int8
    assert (2.5 // dagrad.tensor([1, 2])).dtype is dagrad.float32
    assert (2 // dagrad.tensor(3, dtype=dagrad.int8)).dtype is dagrad.int8


# ------------------------------------------------------------------------------------------
# Factories
# ------------------------------------------------------------------------------------------

def test_fill_factories() -> None:
    assert repr(dagrad.zeros(2, 3)) == "tensor([[0., 0., 0.],\n        [0., 0., 0.]])"
    assert repr(dagrad.ones((2,))) == "tensor([1., 1.])"
    assert dagrad.zeros([2]).shape == dagrad.zeros(dagrad.Size([2])).shape == (2,)
    assert dagrad.zeros(()).shape == () and dagrad.ones(size=(2, 1)).shape == (2, 1)
    assert repr(dagrad.ones(2, dtype=dagrad.int32)) == "tensor([1, 1], dtype=dagrad.int32)"
    assert dagrad.empty(2, 3).shape == (2, 3) and dagrad.empty((2, 3)).dtype is dagrad.float32
    assert repr(dagrad.full((2, 2), 7)) == "tensor([[7, 7],\n        [7, 7]])"
    assert repr(dagrad.full((2,), 7.)) == "tensor([7., 7.])"
    assert repr(dagrad.full((2,), True)) == "tensor([True, True])"
    assert repr(dagrad.full((1,), 7, dtype=dagrad.float64)) == \
        "tensor([7.], dtype=dagrad.float64)"
    assert repr(dagrad.full((), 2)) == "tensor(2)"
    assert repr(dagrad.full([2], dagrad.tensor(1.5))) == "tensor([1.5000, 1.5000])"


def test_like_factories() -> None:
    t = dagrad.tensor([[1, 2]], dtype=dagrad.int32)
    assert repr(dagrad.zeros_like(t)) == "tensor([[0, 0]], dtype=dagrad.int32)"
    assert repr(dagrad.ones_like(t, dtype=dagrad.float64)) == \
        "tensor([[1., 1.]], dtype=dagrad.float64)"
    assert repr(dagrad.full_like(t, 3)) == "tensor([[3, 3]], dtype=dagrad.int32)"
    assert repr(dagrad.full_like(t.float(), 2.5)) == "tensor([[2.5000, 2.5000]])"
    assert dagrad.empty_like(t).shape == (1, 2) and dagrad.empty_like(t).dtype is dagrad.int32
    assert dagrad.rand_like(t.float()).dtype is dagrad.float32
    assert dagrad.randn_like(t.double()).dtype is dagrad.float64
    z = dagrad.zeros_like(dagrad.ones(2), requires_grad=True)
    assert repr(z) == "tensor([0., 0.], requires_grad=True)" and z.is_leaf


def test_requires_grad_factories() -> None:
    assert repr(dagrad.ones(2, requires_grad=True)) == "tensor([1., 1.], requires_grad=True)"
    assert repr(dagrad.full((2,), 3., requires_grad=True)) == \
        "tensor([3., 3.], requires_grad=True)"
    assert repr(dagrad.tensor([1, 2], dtype=dagrad.float64, requires_grad=True)) == \
        "tensor([1., 2.], dtype=dagrad.float64, requires_grad=True)"
    assert repr(dagrad.linspace(0, 1, 3, requires_grad=True)) == \
        "tensor([0.0000, 0.5000, 1.0000], requires_grad=True)"
    assert repr(dagrad.arange(3.0, requires_grad=True)) == \
        "tensor([0., 1., 2.], requires_grad=True)"
    for t in (dagrad.rand(2, requires_grad=True), dagrad.randn(2, requires_grad=True),
              dagrad.eye(2, requires_grad=True), dagrad.empty(2, requires_grad=True)):
        assert t.requires_grad and t.is_leaf and t.grad_fn is None


def test_eye() -> None:
    assert repr(dagrad.eye(3)) == ("tensor([[1., 0., 0.],\n        [0., 1., 0.],\n"
                                   "        [0., 0., 1.]])")
    assert repr(dagrad.eye(2, 3, dtype=dagrad.int64)) == \
        "tensor([[1, 0, 0],\n        [0, 1, 0]])"
    assert repr(dagrad.eye(2, 0)) == "tensor([], size=(2, 0))"
    assert repr(dagrad.eye(3, dtype=dagrad.bool)) == ("tensor([[ True, False, False],\n"
                                                      "        [False,  True, False],\n"
                                                      "        [False, False,  True]])")


def test_arange() -> None:
    assert repr(dagrad.arange(5)) == "tensor([0, 1, 2, 3, 4])"
    assert repr(dagrad.arange(1, 4)) == "tensor([1, 2, 3])"
    assert repr(dagrad.arange(0, 1, 0.25)) == "tensor([0.0000, 0.2500, 0.5000, 0.7500])"
    assert repr(dagrad.arange(3.)) == "tensor([0., 1., 2.])"
    assert repr(dagrad.arange(10, 0, -3)) == "tensor([10,  7,  4,  1])"
    assert repr(dagrad.arange(0.5, 3)) == "tensor([0.5000, 1.5000, 2.5000])"
    assert repr(dagrad.arange(1, 4, dtype=dagrad.float64)) == \
        "tensor([1., 2., 3.], dtype=dagrad.float64)"
    assert repr(dagrad.arange(dagrad.tensor(3))) == "tensor([0, 1, 2])"
    assert dagrad.arange(0, 1, 0.1).tolist() == np.float32(np.arange(10) * 0.1).tolist()
    # an integer dtype truncates start and step first, as PyTorch does
    assert dagrad.arange(1, 2.5, 0.5, dtype=dagrad.int32).tolist() == [1, 1, 1]
    with pytest.raises(RuntimeError, match=exact(
            "upper bound and lower bound inconsistent with step sign")):
        dagrad.arange(5, 0, 1)
    with pytest.raises(RuntimeError, match=exact("step must be nonzero")):
        dagrad.arange(0, 5, 0)


LINSPACE_GOLDEN = [
    # PyTorch 2.13's values (float32 unless a dtype is given), read with tolist()
    ((0, 1, 5), None, [0.0, 0.25, 0.5, 0.75, 1.0]),
    ((-1, 1, 7), None,
     [-1.0, -0.6666666269302368, -0.3333333134651184, -2.9802322387695312e-08,
      0.3333333134651184, 0.6666666269302368, 1.0]),
    ((-1, 1, 7), dagrad.float64,
     [-1.0, -0.6666666666666667, -0.33333333333333337, 5.551115123125783e-17,
      0.33333333333333337, 0.6666666666666667, 1.0]),
    ((1.5, -3.2, 13), dagrad.float64,
     [1.5, 1.1083333333333334, 0.7166666666666667, 0.325, -0.06666666666666665,
      -0.4583333333333333, -0.8500000000000002, -1.241666666666667, -1.6333333333333335,
      -2.0250000000000004, -2.416666666666667, -2.8083333333333336, -3.2]),
    ((1.5, -3.2, 13), dagrad.int64, [1, 0, 0, 0, 0, 0, -1, -1, -1, -2, -2, -2, -3]),
    ((0., 2 * math.pi, 25), dagrad.int64,
     [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 6]),
    ((-2.7, 5.9, 5), dagrad.int64, [-2, 0, 1, 3, 5]),
    ((0, 1, 1), None, [0.0]),
    ((1.7, 5, 1), dagrad.int64, [1]),
    ((0, 1, 0), None, []),
]


@pytest.mark.parametrize("args, dtype, expected", LINSPACE_GOLDEN)
def test_linspace_golden(args: tuple, dtype: Any, expected: list) -> None:
    t = dagrad.linspace(*args, dtype=dtype)
    assert t.tolist() == expected and t.dtype is (dtype or dagrad.float32)


def test_linspace_seed_002_values() -> None:
    # the 25 points of seed 002, element by element as PyTorch computes them
    a = dagrad.linspace(0., 2. * math.pi, steps=25)
    assert a[19].item() == 4.974188327789307 and a[24].item() == 6.2831854820251465
    assert a[12].item() == 3.1415927410125732


def test_linspace_matches_torch_bit_for_bit() -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    pairs = [(dagrad.float32, torch.float32), (dagrad.float64, torch.float64),
             (dagrad.float16, torch.float16), (dagrad.int64, torch.int64),
             (dagrad.int32, torch.int32)]
    for _ in range(300):
        start, end = (float(v) for v in rng.uniform(-100, 100, 2) * 10.0 ** rng.integers(-3, 2))
        steps = int(rng.choice([rng.integers(0, 40), rng.integers(0, 2000)]))
        for ours, theirs in pairs:
            expected = torch.linspace(start, end, steps, dtype=theirs).numpy()
            got = dagrad.linspace(start, end, steps, dtype=ours).numpy()
            assert got.dtype == expected.dtype
            np.testing.assert_array_equal(got, expected, err_msg=f"{start, end, steps, ours}")


def test_linspace_errors() -> None:
    with pytest.raises(RuntimeError, match=exact("number of steps must be non-negative")):
        dagrad.linspace(0, 1, -1)
    with pytest.raises(NotImplementedError, match=exact(
            "\"linspace_cpu\" not implemented for 'Bool'")):
        dagrad.linspace(0, 1, 3, dtype=dagrad.bool)
    with pytest.raises(RuntimeError, match=exact(
            "value cannot be converted to type uint8_t without overflow")):
        dagrad.linspace(-2.7, 5.9, 5, dtype=dagrad.uint8)


def test_random_factories() -> None:
    assert dagrad.rand(3).dtype is dagrad.float32 and dagrad.rand(2, 3).shape == (2, 3)
    assert dagrad.randn(2, dtype=dagrad.float64).dtype is dagrad.float64
    u = dagrad.rand(10_000).numpy()
    assert u.min() >= 0 and u.max() < 1 and abs(u.mean() - 0.5) < 0.02
    n = dagrad.randn(10_000).numpy()
    assert abs(n.mean()) < 0.05 and abs(n.std() - 1) < 0.05
    r = dagrad.randint(3, 5, (1000,))
    assert r.dtype is dagrad.int64 and set(r.tolist()) == {3, 4}
    assert dagrad.randint(5, (2, 2)).shape == (2, 2)
    assert dagrad.randint(low=0, high=5, size=(2,)).shape == (2,)
    assert dagrad.randint(0, 10, (2,), dtype=dagrad.float32).dtype is dagrad.float32
    c = dagrad.rand(1000, dtype=dagrad.complex64).numpy()
    assert c.dtype == np.complex64 and 0 <= c.imag.min() and c.imag.max() < 1


def test_manual_seed_reproducibility() -> None:
    g = dagrad.manual_seed(0)
    assert type(g).__name__ == "Generator"
    a = dagrad.rand(3)
    b = dagrad.randn(2, 2)
    dagrad.manual_seed(0)
    assert dagrad.rand(3).tolist() == a.tolist() and dagrad.randn(2, 2).tolist() == b.tolist()
    gen = dagrad.Generator().manual_seed(1)
    x = dagrad.randn(3, generator=gen)
    gen.manual_seed(1)
    assert dagrad.randn(3, generator=gen).tolist() == x.tolist()
    dagrad.manual_seed(3)
    e = dagrad.empty(4).normal_()
    dagrad.manual_seed(3)
    assert dagrad.empty(4).normal_().tolist() == e.tolist()


def test_random_on_integer_dtype_messages() -> None:
    with pytest.raises(NotImplementedError, match=exact(
            "\"check_uniform_bounds\" not implemented for 'Int'")):
        dagrad.rand(2, dtype=dagrad.int32)
    with pytest.raises(NotImplementedError, match=exact(
            "\"normal_kernel_cpu\" not implemented for 'Long'")):
        dagrad.randn(2, dtype=dagrad.int64)
    with pytest.raises(NotImplementedError, match=exact(
            "\"check_uniform_bounds\" not implemented for 'Long'")):
        dagrad.rand_like(dagrad.tensor([1]))


def test_factory_argument_errors() -> None:
    cases = [
        (lambda: dagrad.zeros(-1), RuntimeError, "zeros: Dimension size must be non-negative."),
        (lambda: dagrad.ones(2, -3), RuntimeError,
         "Trying to create tensor with negative dimension -3: [2, -3]"),
        (lambda: dagrad.randn(-1), RuntimeError,
         "Trying to create tensor with negative dimension -1: [-1]"),
        (lambda: dagrad.zeros(2.5), TypeError,
         "zeros(): argument 'size' (position 1) must be tuple of ints, not float"),
        (lambda: dagrad.zeros((2.5,)), TypeError,
         "zeros(): argument 'size' (position 1) must be tuple of ints, but found element of "
         "type float at pos 0"),
        (lambda: dagrad.ones([2, 2.]), TypeError,
         "ones(): argument 'size' failed to unpack the object at pos 2 with error \"type must "
         "be tuple of ints,but got float\""),
        (lambda: dagrad.full(2, 1.), TypeError,
         "full(): argument 'size' (position 1) must be tuple of ints, not int"),
        (lambda: dagrad.eye(-1), RuntimeError, "n must be greater or equal to 0, got -1"),
        (lambda: dagrad.eye(2, -1), RuntimeError, "m must be greater or equal to 0, got -1"),
        (lambda: dagrad.randint(5, 3, (2,)), RuntimeError,
         "random_ expects 'from' to be less than 'to', but got from=5 >= to=3"),
        (lambda: dagrad.randint(0, 5), TypeError,
         "randint(): argument 'size' (position 2) must be tuple of ints, not int"),
        (lambda: dagrad.tensor([[1, 2], [3]]), ValueError,
         "expected sequence of length 2 at dim 1 (got 1)"),
        (lambda: dagrad.tensor([[1.], 2.]), TypeError, "not a sequence"),
        (lambda: dagrad.tensor([1, [2]]), TypeError,
         "'list' object cannot be interpreted as an integer"),
        (lambda: dagrad.tensor([1.5, [2]]), TypeError, "must be real number, not list"),
        (lambda: dagrad.tensor("a"), TypeError, "new(): invalid data type 'str'"),
        (lambda: dagrad.tensor(["a"]), ValueError, "too many dimensions 'str'"),
        (lambda: dagrad.tensor([None]), RuntimeError, "Could not infer dtype of NoneType"),
        (lambda: dagrad.tensor([300], dtype=dagrad.uint8), RuntimeError,
         "value cannot be converted to type uint8 without overflow"),
        (lambda: dagrad.tensor(2 ** 63), ValueError, "Overflow when unpacking long long"),
        (lambda: dagrad.tensor([dagrad.tensor([1., 2.]), dagrad.tensor([3., 4.])]), ValueError,
         "only one element tensors can be converted to Python scalars"),
    ]
    for make, kind, message in cases:
        with pytest.raises(kind, match=exact(message)):
            make()
    assert repr(dagrad.tensor([-1], dtype=dagrad.uint8)) == "tensor([255], dtype=dagrad.uint8)"


def test_factory_errors_match_torch() -> None:
    torch = pytest.importorskip("torch")
    calls = ["zeros(-1)", "ones(2, -3)", "empty(-1, 2)", "rand(-2)", "full((-1,), 1.)",
             "zeros(2.5)", "zeros((2, 'a'))", "ones([2, 2.])", "zeros(None)", "zeros(2, 2, 2.5)",
             "tensor([[1, 2], [3]])", "tensor([[1, 2], 3])", "tensor([1, [2]])", "tensor('a')",
             "tensor(['a'])", "tensor([None])", "tensor({})", "tensor([[1, 2], [3, 4, 5]])",
             "rand_like(lib.tensor([1]))", "randn(2, dtype=lib.int64)",
             "rand(2, dtype=lib.bool)", "arange(5, 0, 1)", "arange(0, 5, 0)",
             "linspace(0, 1, -1)", "eye(-1)", "eye(2, -1)", "randint(5, 3, (2,))",
             "randint(0, 5)", "tensor([200], dtype=lib.int8)", "tensor([-256], dtype=lib.uint8)",
             "tensor(2**64)", "linspace(0, 1, 3, dtype=lib.bool)", "full(2, 1.)"]

    def outcome(lib: Any, call: str) -> str:
        try:
            eval(f"lib.{call}", {"lib": lib})
        except Exception as e:  # noqa: BLE001
            return f"{type(e).__name__}: {e}".replace("torch.", "dagrad.")
        return "no error"

    for call in calls:
        assert outcome(dagrad, call) == outcome(torch, call), call


# ------------------------------------------------------------------------------------------
# In-place initialisers
# ------------------------------------------------------------------------------------------

def test_inplace_initialisers() -> None:
    t = dagrad.zeros(3)
    assert t.fill_(2.5) is t and repr(t) == "tensor([2.5000, 2.5000, 2.5000])"
    assert repr(t.zero_()) == "tensor([0., 0., 0.])"
    assert repr(dagrad.zeros(3).copy_(dagrad.tensor([1, 2, 3]))) == "tensor([1., 2., 3.])"
    assert repr(dagrad.zeros(2, 3).copy_(dagrad.tensor([1., 2., 3.]))) == \
        "tensor([[1., 2., 3.],\n        [1., 2., 3.]])"
    assert repr(dagrad.zeros(3, dtype=dagrad.int64).fill_(2.7)) == "tensor([2, 2, 2])"
    v0 = t._version
    t.fill_(1)
    t.zero_()
    t.normal_()
    t.uniform_()
    t.copy_(dagrad.ones(3))
    assert t._version == v0 + 5
    w = dagrad.empty(10, 784).normal_(0, 1e-3).requires_grad_()
    assert w.is_leaf and w.requires_grad and abs(float(w.detach().numpy().std()) - 1e-3) < 1e-4
    u = dagrad.empty(1000).uniform_(-2, 3).numpy()
    assert u.min() >= -2 and u.max() < 3 and abs(u.mean() - 0.5) < 0.15


def test_inplace_initialiser_on_leaf_requiring_grad() -> None:
    x = dagrad.ones(2, requires_grad=True)
    for f in (lambda: x.normal_(), lambda: x.fill_(3), lambda: x.zero_()):
        with pytest.raises(RuntimeError, match=exact(
                "a leaf Variable that requires grad is being used in an in-place operation.")):
            f()
    with dagrad.no_grad():
        x.fill_(3)
    assert repr(x) == "tensor([3., 3.], requires_grad=True)"
    y = dagrad.zeros(2)
    y.copy_(x)                                    # copying from a leaf records the copy
    assert repr(y) == "tensor([3., 3.], grad_fn=<CopyBackwards>)"


def test_random_initialiser_on_integer_tensor() -> None:
    with pytest.raises(NotImplementedError, match=exact(
            "\"normal_kernel_cpu\" not implemented for 'Long'")):
        dagrad.zeros(3, dtype=dagrad.int64).normal_()


# ------------------------------------------------------------------------------------------
# Printing
# ------------------------------------------------------------------------------------------

REPRS = [
    ("dagrad.tensor([1., 2., 3.], requires_grad=True)",
     "tensor([1., 2., 3.], requires_grad=True)"),
    ("dagrad.tensor([1., 2., 3.], requires_grad=True) * 2",
     "tensor([2., 4., 6.], grad_fn=<MulBackward0>)"),
    ("(dagrad.tensor([1., 2., 3.], requires_grad=True) * 2).sum()",
     "tensor(12., grad_fn=<SumBackward0>)"),
    ("dagrad.tensor([1., 2.], dtype=dagrad.float64, requires_grad=True) * 2",
     "tensor([2., 4.], dtype=dagrad.float64, grad_fn=<MulBackward0>)"),
    ("dagrad.tensor([[1.5410, -0.2934, -2.1788], [0.5684, -1.0845, -1.3986]], "
     "requires_grad=True)",
     "tensor([[ 1.5410, -0.2934, -2.1788],\n        [ 0.5684, -1.0845, -1.3986]], "
     "requires_grad=True)"),
    ("dagrad.arange(14.).requires_grad_() * 1",
     "tensor([ 0.,  1.,  2.,  3.,  4.,  5.,  6.,  7.,  8.,  9., 10., 11., 12., 13.],\n"
     "       grad_fn=<MulBackward0>)"),
    ("dagrad.arange(2000.)",
     "tensor([0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 1.9970e+03, 1.9980e+03,\n"
     "        1.9990e+03])"),
    ("dagrad.tensor([], dtype=dagrad.int64)", "tensor([], dtype=dagrad.int64)"),
    ("dagrad.tensor(2.5, dtype=dagrad.float16)", "tensor(2.5000, dtype=dagrad.float16)"),
    ("dagrad.tensor([[1, -1], [100, 5]])", "tensor([[  1,  -1],\n        [100,   5]])"),
    ("dagrad.tensor([0.1, 1234567.])", "tensor([1.0000e-01, 1.2346e+06])"),
]


@pytest.mark.parametrize("expr, text", REPRS, ids=[e for e, _ in REPRS])
def test_repr(expr: str, text: str) -> None:
    t = eval(expr)
    assert repr(t) == str(t) == text


def test_set_printoptions() -> None:
    dagrad.set_printoptions(precision=2)
    assert repr(dagrad.tensor([1 / 3, 2 / 3])) == "tensor([0.33, 0.67])"
    dagrad.set_printoptions(sci_mode=False)
    assert repr(dagrad.tensor([1e-5, 1.])) == "tensor([0.00, 1.00])"
    dagrad.set_printoptions(profile="default")
    assert repr(dagrad.tensor([1 / 3, 1e-5])) == "tensor([3.3333e-01, 1.0000e-05])"
    dagrad.set_printoptions(threshold=5)
    assert repr(dagrad.arange(10.)) == "tensor([0., 1., 2.,  ..., 7., 8., 9.])"
    dagrad.set_printoptions(edgeitems=1, threshold=3)
    assert repr(dagrad.arange(10)) == "tensor([0,  ..., 9])"
    dagrad.set_printoptions(profile="default")
    dagrad.set_printoptions(linewidth=20)
    assert repr(dagrad.arange(10.)) == ("tensor([0., 1., 2.,\n        3., 4., 5.,\n"
                                        "        6., 7., 8.,\n        9.])")
    dagrad.set_printoptions(profile="short")
    assert repr(dagrad.tensor([1 / 3])) == "tensor([0.33])"
    dagrad.set_printoptions(profile="full")
    assert repr(dagrad.arange(1001)[-3:]) == "tensor([ 998,  999, 1000])"


def test_arithmetic_from_several_threads_keeps_numpy_quiet_per_thread() -> None:
    # the errstate tokens of `with QUIET` were shared between threads: another thread's exit
    # popped this one's token and NumPy raised "Token ... was created in a different Context"
    from tests._threads import run_in_threads
    errors = []

    def work(i: int) -> None:
        try:
            x = dagrad.tensor([1.0, 0.0, -1.0])
            for _ in range(2000):
                (x / 0).exp().log()
        except Exception as e:  # noqa: BLE001  (reported below)
            errors.append(repr(e))

    run_in_threads(work, 4)
    assert errors == []
