"""OpInfo entries for ``dagrad/ops/scatter.py`` (issues 3 and 4): gather/scatter, index_* and
masked ops, clamp_min/clamp_max, and ``eq_`` (the node in-place comparisons record).

Same format and conventions as ``dagrad/testing/op_db.py``, which appends ``OPS`` to ``op_db``.
Every ``op`` is the ops module's function, and ``torch_fn`` names the PyTorch twin. Samples never
repeat an index where PyTorch's result would depend on the order of writes (Note [Scatter with
repeated indices]); amax/amin samples with ties are ``nondiff`` (compared with PyTorch only).
"""
from __future__ import annotations

import importlib
import warnings
from typing import TYPE_CHECKING, Any, Callable, Iterator

import numpy as np

import dagrad

# the module, not the ``scatter`` function that shadows it in ``dagrad.ops`` once exported
SC = importlib.import_module("dagrad.ops.scatter")

if TYPE_CHECKING:
    from dagrad.testing.op_db import ErrorInput, OpInfo, SampleInput, _Make

__all__ = ["OPS"]

# Note [Import order] (as in op_db_selection.py): ``OPS`` is built on first access, when
# op_db's names exist, and only once.


def __getattr__(name: str) -> Any:
    if name == "OPS":
        return globals().setdefault("OPS", _build())
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _build() -> list:
    global ErrorInput, OpInfo, SampleInput, _Make
    from dagrad.testing.op_db import ErrorInput, OpInfo, SampleInput, _Make
    return _entries()


def _i(values: Any, dtype: Any = None) -> dagrad.Tensor:
    return dagrad.tensor(values, dtype=dtype or dagrad.int64)


def _err(args: tuple, error: type, message: str, kwargs: dict | None = None) -> Any:
    return ErrorInput(SampleInput(args, kwargs or {}), error, message)


# --------------------------------------------------------------------------- references


def _ref_gather(x: np.ndarray, dim: int, index: np.ndarray, sparse_grad: bool = False) -> Any:
    x1, i1 = x.reshape(-1) if x.ndim == 0 else x, index.reshape(-1) if index.ndim == 0 else index
    d = dim % max(x.ndim, 1)
    out = np.empty(i1.shape, x.dtype)
    for pos in np.ndindex(*i1.shape):
        src = list(pos)
        src[d] = i1[pos]
        out[pos] = x1[tuple(src)]
    return out.reshape(index.shape)


def _ref_scatter(x: np.ndarray, dim: int, index: np.ndarray, src: Any, how: str = "set",
                 include_self: bool = True) -> np.ndarray:
    out = x.copy().reshape(-1) if x.ndim == 0 else x.copy()
    i1 = index.reshape(-1) if index.ndim == 0 else index
    s1 = src.reshape(-1) if isinstance(src, np.ndarray) and src.ndim == 0 else src
    d = dim % max(x.ndim, 1)
    groups: dict = {}
    for pos in np.ndindex(*i1.shape):
        dst = list(pos)
        dst[d] = i1[pos]
        v = s1[pos] if isinstance(s1, np.ndarray) else s1
        groups.setdefault(tuple(dst), []).append(v)
    for dst, vals in groups.items():
        own = [out[dst]] if include_self or how in ("set", "add") else []
        if how == "set":
            out[dst] = vals[-1]
        elif how in ("add", "sum"):
            out[dst] = np.sum(own + vals)
        elif how == "prod":
            out[dst] = np.prod(own + vals)
        elif how == "mean":
            out[dst] = np.mean(own + vals)
        elif how == "amax":
            out[dst] = np.max(own + vals)
        elif how == "amin":
            out[dst] = np.min(own + vals)
    return out.reshape(x.shape)


def _ref_scatter_fn(x: np.ndarray, dim: int, index: np.ndarray, src: Any = None,
                    value: Any = None) -> np.ndarray:
    return _ref_scatter(x, dim, index, src if src is not None else value)


def _ref_scatter_reduce(x: np.ndarray, dim: int, index: np.ndarray, src: np.ndarray, reduce: str,
                        include_self: bool = True) -> np.ndarray:
    return _ref_scatter(x, dim, index, src, reduce, include_self)


def _ref_index_select(x: np.ndarray, dim: int, index: np.ndarray) -> np.ndarray:
    if x.ndim == 0:
        return x.copy()
    return np.take(x, index.reshape(-1), axis=dim)


def _ref_index_add(x: np.ndarray, dim: int, index: np.ndarray, source: np.ndarray,
                   alpha: Any = 1) -> np.ndarray:
    out = x.copy().reshape(-1) if x.ndim == 0 else x.copy()
    s = source.reshape(-1) if source.ndim == 0 else source
    o, s = np.moveaxis(out, dim, 0), np.moveaxis(s, dim, 0)
    for k, i in enumerate(index.reshape(-1)):
        o[i] += alpha * s[k]
    return out.reshape(x.shape)


def _ref_index_copy(x: np.ndarray, dim: int, index: np.ndarray, source: np.ndarray) -> np.ndarray:
    out = x.copy().reshape(-1) if x.ndim == 0 else x.copy()
    s = source.reshape(-1) if source.ndim == 0 else source
    o, s = np.moveaxis(out, dim, 0), np.moveaxis(s, dim, 0)
    for k, i in enumerate(index.reshape(-1)):
        o[i] = s[k]
    return out.reshape(x.shape)


def _ref_index_fill(x: np.ndarray, dim: int, index: np.ndarray, value: Any) -> np.ndarray:
    out = x.copy().reshape(-1) if x.ndim == 0 else x.copy()
    np.moveaxis(out, dim, 0)[index.reshape(-1)] = value
    return out.reshape(x.shape)


def _ref_index_put(x: np.ndarray, indices: tuple, values: np.ndarray,
                   accumulate: bool = False) -> np.ndarray:
    out = x.copy()
    if accumulate:
        np.add.at(out, tuple(indices), values)
    else:
        out[tuple(indices)] = values
    return out


def _ref_put(x: np.ndarray, index: np.ndarray, source: np.ndarray,
             accumulate: bool = False) -> np.ndarray:
    out = x.copy().reshape(-1)
    for i, v in zip(index.reshape(-1), source.reshape(-1), strict=True):
        out[i] = out[i] + v if accumulate else v
    return out.reshape(x.shape)


def _ref_masked_fill(x: np.ndarray, mask: np.ndarray, value: Any) -> np.ndarray:
    shape = np.broadcast_shapes(x.shape, mask.shape)
    return np.where(np.broadcast_to(mask, shape), value, np.broadcast_to(x, shape)).astype(x.dtype)


def _ref_masked_select(x: np.ndarray, mask: np.ndarray) -> np.ndarray:
    shape = np.broadcast_shapes(x.shape, mask.shape)
    return np.broadcast_to(x, shape)[np.broadcast_to(mask, shape)]


def _ref_masked_scatter(x: np.ndarray, mask: np.ndarray, source: np.ndarray) -> np.ndarray:
    shape = np.broadcast_shapes(x.shape, mask.shape)
    out = np.broadcast_to(x, shape).copy()
    m = np.broadcast_to(mask, shape)
    out[m] = source.reshape(-1)[:int(m.sum())]
    return out


# --------------------------------------------------------------------------- samples


def _gather_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((3, 4)), 0, _i([[0, 1, 2, 0], [2, 2, 1, 0]])), desc="dim 0, repeats")
    yield SampleInput((make((3, 4)), 1, _i([[3, 0], [1, 1], [2, 0]])), desc="dim 1")
    yield SampleInput((make((3, 4)), -1, _i([[3], [0]], dagrad.int32)),
                      desc="dim -1, smaller index, int32")
    yield SampleInput((make((2, 3, 2)), 1, _i([[[0, 2], [1, 1]], [[2, 0], [0, 0]]])), desc="3-D")
    yield SampleInput((make(()), 0, _i(0)), desc="0-dim")
    yield SampleInput((make((3,)), 0, _i(2)), desc="0-dim index of 1-D")
    yield SampleInput((make((3, 4)), 0, _i(np.zeros((0, 4), np.int64))), desc="empty index")
    yield SampleInput((make((3, 4)), 0, _i([[0, 1, 2, 0]])), {"sparse_grad": False},
                      desc="sparse_grad=False")


def _gather_errors() -> Iterator[ErrorInput]:
    x = dagrad.ones(3, 4)
    yield _err((x, 0, _i([[5]])), RuntimeError, "index 5 is out of bounds for dimension 0 with "
               "size 3")
    yield _err((x, 0, _i([[-1]])), RuntimeError, "index -1 is out of bounds for dimension 0 "
               "with size 3")
    yield _err((x, 0, dagrad.tensor([[0.0]])), RuntimeError,
               "gather(): Expected dtype int32/int64 for index")
    yield _err((x, 0, _i([0])), RuntimeError,
               "Index tensor must have the same number of dimensions as input tensor")
    yield _err((x, 0, _i(np.zeros((2, 5), np.int64))), RuntimeError,
               "Size does not match at dimension 1 expected index [2, 5] to be no larger than "
               "self [3, 4] apart from dimension 0")
    yield _err((x, 2, _i([[0]])), IndexError,
               "Dimension out of range (expected to be in range of [-2, 1], but got 2)")


_PERM_IDX = [[1, 0, 2, 1], [2, 1, 0, 0]]        # no repeats within a column


def _scatter_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((3, 4)), 0, _i(_PERM_IDX), make((2, 4))), desc="src")
    yield SampleInput((make((3, 4)), 1, _i([[3, 0], [1, 2]]), make((3, 3), rg=False)),
                      desc="src bigger than index (src not differentiable)")
    yield SampleInput((make((3, 4)), -2, _i(_PERM_IDX)), {"value": 1.5}, desc="value kwarg")
    yield SampleInput((make((3, 4)), 0, _i(_PERM_IDX), 2.5), desc="value positional")
    yield SampleInput((make(()), 0, _i(0), make(())), desc="0-dim")


def _scatter_node(s: SampleInput) -> str:
    return "ScatterBackward0" if len(s.args) > 3 and isinstance(s.args[3], dagrad.Tensor) \
        else "ScatterBackward1"


def _scatter_errors() -> Iterator[ErrorInput]:
    x, src = dagrad.ones(3, 4), dagrad.ones(3, 4)
    yield _err((x, 0, _i([[7]]), src), RuntimeError,
               "index 7 is out of bounds for dimension 0 with size 3")
    yield _err((x, 0, _i([[0]]), src.double()), RuntimeError,
               "scatter(): Expected self.dtype to be equal to src.dtype")
    yield _err((x, 0, dagrad.tensor([[0.0]]), src), RuntimeError,
               "scatter(): Expected dtype int32/int64 for index")
    yield _err((x, 0, _i([0]), src), RuntimeError,
               "Index tensor must have the same number of dimensions as self tensor")
    yield _err((x, 0, _i(np.zeros((3, 4), np.int64)), src[:2]), RuntimeError,
               "Expected index [3, 4] to be no larger than self [3, 4] apart from dimension 0 and "
               "to be no larger size than src [2, 4]")
    yield _err((x, 0, _i(np.zeros((2, 5), np.int64)), 1.0), RuntimeError,
               "Expected index [2, 5] to be no larger than self [3, 4] apart from dimension 0")
    yield _err((x, 0, _i([[0]]), src), RuntimeError,
               "reduce argument must be either add or multiply.", {"reduce": "mean"})


def _quiet_scatter(fn: Callable) -> Callable:
    def call(*args: Any, **kwargs: Any) -> Any:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            return fn(*args, **kwargs)
    return call


def _scatter_legacy_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    # never requiring grad: the node (NotImplemented, whose backward raises) is checked in
    # tests/test_scatter.py and tests/test_inplace_ops.py, not by the generic gradient tests
    make = _Make(dtype, False)
    idx = _i([[0, 1, 2, 0], [0, 2, 2, 1]])
    for how in ("add", "multiply"):
        yield SampleInput((make((3, 4)), 0, idx, make((2, 4))), {"reduce": how},
                          desc=f"src, reduce={how}")
        yield SampleInput((make((3, 4)), 1, _i([[1, 1], [0, 3], [2, 2]])),
                          {"value": 1.5, "reduce": how}, desc=f"value, reduce={how}")


def _scatter_add_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((3, 4)), 0, _i([[0, 1, 2, 0], [0, 2, 2, 1]]), make((2, 4))),
                      desc="repeats")
    yield SampleInput((make((3, 4)), 1, _i([[3, 3], [0, 1]]), make((2, 2))), desc="dim 1")
    yield SampleInput((make((3, 4)), -1, _i([[3, 3]]), make((2, 3), rg=False)),
                      desc="src bigger than index (src not differentiable)")
    yield SampleInput((make(()), 0, _i(0), make(())), desc="0-dim")
    yield SampleInput((make((2, 2)), 0, _i(np.zeros((0, 2), np.int64)), make((0, 2))),
                      desc="empty index")


_REDUCE_IDX = [[0, 1, 2, 0], [0, 2, 2, 1], [1, 1, 0, 0]]


def _scatter_reduce_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg, seed=3)
    for reduce in ("sum", "prod", "mean", "amax", "amin"):
        for include_self in (True, False):
            yield SampleInput((make((3, 4), 0.5, 2), 0, _i(_REDUCE_IDX), make((3, 4), 0.5, 2),
                               reduce), {"include_self": include_self},
                              desc=f"{reduce}, include_self={include_self}")
    yield SampleInput((make((3, 4), 0.5, 2), 1, _i([[0, 0], [3, 1], [2, 2]]),
                       make((3, 2), 0.5, 2), "mean"), desc="dim 1, mean")
    x = make((3, 4), 0.5, 2)
    src = make((3, 4), values=[[0, 1, 2, 3], [1, 0, 1.5, 2], [0.5, 1, 0, 2]])
    yield SampleInput((x, 0, _i(_REDUCE_IDX), src, "prod"), desc="prod with single zeros")
    yield SampleInput((make((3,), values=[1, 2, 3]), 0, _i([0, 0, 1]),
                       make((3,), values=[1, 1, 5]), "amax"), desc="amax ties", nondiff=True)
    yield SampleInput((make(()), 0, _i(0), make(()), "prod"), desc="0-dim")


def _scatter_reduce_errors() -> Iterator[ErrorInput]:
    x = dagrad.ones(3, 4)
    yield _err((x, 0, _i([[0]]), x, "foo"), RuntimeError,
               "reduce argument must be either sum, prod, mean, amax or amin, got foo")
    yield _err((x, 0, _i([[9]]), x, "sum"), RuntimeError,
               "index 9 is out of bounds for dimension 0 with size 3")


def _index_select_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((3, 4)), 0, _i([2, 0, 2])), desc="dim 0, repeats")
    yield SampleInput((make((3, 4)), -1, _i([3, 1], dagrad.int32)), desc="dim -1, int32")
    yield SampleInput((make((2, 3, 4)), 1, _i(1)), desc="0-dim index")
    yield SampleInput((make(()), 0, _i([0])), desc="0-dim self")
    yield SampleInput((make((3, 4)), 0, _i(np.zeros(0, np.int64))), desc="empty index")


def _index_select_errors() -> Iterator[ErrorInput]:
    x = dagrad.ones(3, 4)
    yield _err((x, 0, _i([[0, 2]])), IndexError, "index_select(): Index is supposed to be a vector")
    yield _err((x, 0, dagrad.tensor([0.0])), RuntimeError,
               "index_select(): Expected dtype int32 or int64 for index")
    yield _err((x, 0, _i([0, 5])), IndexError, "index out of range in self")
    yield _err((x, 0, _i([-1])), IndexError, "index out of range in self")
    yield _err((dagrad.tensor(1.0), 0, _i([0, 0])), RuntimeError,
               "index_select(): Index to scalar can have only 1 value, got 2 value(s)")


def _index_add_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((3, 4)), 0, _i([0, 2, 0]), make((3, 4))), desc="repeats")
    yield SampleInput((make((3, 4)), 1, _i([3, 1], dagrad.int32), make((3, 2))), {"alpha": 2.5},
                      desc="dim 1, alpha, int32")
    yield SampleInput((make(()), 0, _i([0]), make(())), desc="0-dim")
    yield SampleInput((make((3,)), 0, _i(1), make((1,))), desc="0-dim index")


def _index_add_errors() -> Iterator[ErrorInput]:
    x, s = dagrad.ones(3, 4), dagrad.ones(3, 4)
    yield _err((x, 0, _i([0, 0]), s), RuntimeError, "index_add_(): Number of indices (2) should "
               "be equal to source.size(dim): (3), for dim: 0")
    yield _err((x, 0, _i([0, 7]), s[:2]), RuntimeError,
               "index 7 is out of bounds for dimension 0 with size 3")
    yield _err((x, 0, dagrad.tensor([0.0]), s[:1]), RuntimeError,
               "index_add_(): Expected dtype int32/int64 for index but got: Float")
    yield _err((x, 0, _i([[0]]), s[:1]), IndexError, "index_add_(): Index is supposed to be a "
               "vector, but got dim: 2 with type: Long and size: [1, 1]")
    yield _err((x, 0, _i([0]), s[:1].double()), RuntimeError,
               "index_add_(): self (Float) and source (Double) must have the same scalar type")
    yield _err((x, 0, _i([0]), s[:1, :3]), RuntimeError,
               "source tensor shape must match self tensor shape, excluding the specified "
               "dimension. Got self.shape = [3, 4] source.shape = [1, 3]")


def _index_copy_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((3, 4)), 0, _i([2, 0]), make((2, 4))), desc="dim 0")
    yield SampleInput((make((3, 4)), -1, _i([1, 3, 0]), make((3, 3))), desc="dim -1")
    yield SampleInput((make(()), 0, _i([0]), make(())), desc="0-dim")


def _index_copy_errors() -> Iterator[ErrorInput]:
    x, s = dagrad.ones(3, 4), dagrad.ones(3, 4)
    yield _err((x, 0, _i([0, 7]), s[:2]), IndexError,
               "index_copy_(): index 7 is out of bounds for dimension 0 with size 3")
    yield _err((x, 0, _i([0], dagrad.int32), s[:1]), RuntimeError,
               "index_copy_(): Expected a long tensor for index, but got Int")
    yield _err((x, 0, _i([0]), s[:1].double()), RuntimeError,
               "index_copy_(): self and source expected to have the same dtype, but got (self) "
               "Float and (source) Double")
    yield _err((x, 0, _i([0]), s[:1, :3]), RuntimeError,
               "index_copy_(): Source/destination tensor must have same slice shapes. "
               "Destination slice shape: 4 at dimension 0 and source slice shape: 3 at "
               "dimension 0.")
    yield _err((x, 0, _i([0]), s[:2]), IndexError,
               "index_copy_(): Number of indices (1) should be equal to source.size(dim) (2)")
    yield _err((x, 0, _i([[0]]), s[:1]), IndexError,
               "index_copy_(): Index should have dimension 1 or 0 (got 2)")


def _index_fill_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((3, 4)), 0, _i([2, 0, 2]), 1.5), desc="number, repeats")
    yield SampleInput((make((3, 4)), 1, _i([-1, 1]), 1.5), desc="number, negative index")
    yield SampleInput((make((3, 4)), 1, _i([3, 1, 3]), make(())), desc="0-dim tensor value")
    yield SampleInput((make(()), 0, _i([0]), -2.0), desc="0-dim self")


def _index_fill_errors() -> Iterator[ErrorInput]:
    x = dagrad.ones(3, 4)
    yield _err((x, 0, _i([0, 7]), 1.0), IndexError,
               "index 7 is out of bounds for dimension 0 with size 3")
    yield _err((x, 0, _i([-4]), 1.0), IndexError,
               "index -4 is out of bounds for dimension 0 with size 3")
    yield _err((x, 0, _i([0], dagrad.int32), 1.0), IndexError,
               "index_fill_(): Expected dtype int64 for index.")
    yield _err((x, 0, _i([[0]]), 1.0), RuntimeError, "Index has to be a vector/scalar")
    yield _err((x, 0, _i([0]), dagrad.ones(1)), RuntimeError,
               "index_fill_ only supports a 0-dimensional value tensor, but got tensor with 1 "
               "dimension(s).")


def _index_put_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((3, 4)), (_i([2, 0]),), make((2, 4))), desc="rows")
    yield SampleInput((make((3, 4)), (_i([0, 2]), _i([1, 3])), make(())),
                      desc="two indices, 0-dim value")
    yield SampleInput((make((3, 4)), (_i([0, 0, 2]),), make((4,)), True),
                      desc="accumulate, repeats, broadcast")
    yield SampleInput((make((2, 3)), (dagrad.tensor([[True, False, True], [False, False, True]]),),
                       make((3,))), desc="bool mask")
    yield SampleInput((make((3, 4)), (_i([1, 1], dagrad.int32), _i([0, 0])), make((2,))),
                      {"accumulate": True}, desc="accumulate same element, int32")


def _index_put_errors() -> Iterator[ErrorInput]:
    x = dagrad.ones(3, 4)
    yield _err((x, (_i([0, 7]),), dagrad.ones(4)), IndexError,
               "index 7 is out of bounds for dimension 0 with size 3")
    yield _err((x, (_i([0]),), dagrad.ones(4, dtype=dagrad.float64)), RuntimeError,
               "Index put requires the source and destination dtypes match, got Float for the "
               "destination and Double for the source.")
    yield _err((x, (dagrad.tensor([0.0]),), dagrad.ones(4)), IndexError,
               "tensors used as indices must be long, int, byte or bool tensors")
    yield _err((x, (_i([0, 1]),), dagrad.ones(3, 4)), RuntimeError,
               "shape mismatch: value tensor of shape [3, 4] cannot be broadcast to indexing "
               "result of shape [2, 4]")
    yield _err((dagrad.ones(3), (_i([0]), _i([0])), dagrad.ones(1)), IndexError,
               "too many indices for tensor of dimension 1 (got 2)")
    yield _err((x, (None,), dagrad.ones(4)), TypeError,
               "expected Tensor as element 0 in argument 1, but got NoneType")


def _put_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((3, 4)), _i([0, 5, 11]), make((3,))), desc="distinct")
    yield SampleInput((make((3, 4)), _i([[0, -1], [0, 3]]), make((4,)), True),
                      desc="accumulate, repeats, negative")
    yield SampleInput((make(()), _i([0]), make((1,))), desc="0-dim")


def _put_errors() -> Iterator[ErrorInput]:
    x = dagrad.ones(3, 4)
    yield _err((x, _i([0, 15]), dagrad.ones(2)), IndexError,
               "out of range: tried to access index 15 on a tensor of 12 elements.")
    yield _err((x, _i([0, -13]), dagrad.ones(2)), IndexError,
               "out of range: tried to access index -13 on a tensor of 12 elements.")
    yield _err((x, _i([0, 1]), dagrad.ones(3)), IndexError,
               "put_(): Expected source and index to have the same number of elements, but got "
               "source.numel() = 3, index.numel() = 2")
    yield _err((x, dagrad.tensor([0.0]), dagrad.ones(1)), RuntimeError,
               "put_(): Expected a long tensor for index, but got Float")
    yield _err((x, _i([0]), dagrad.ones(1, dtype=dagrad.float64)), RuntimeError,
               "put_(): self and source expected to have the same dtype, but got self.dtype = "
               "Float and source.dtype = Double")


_MASK = [[True, False, True, True], [False, False, True, False], [True, True, False, False]]


def _masked_fill_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((3, 4)), dagrad.tensor(_MASK), -1.5), desc="number")
    yield SampleInput((make((3, 4)), dagrad.tensor(_MASK), make(())), desc="0-dim tensor value")
    yield SampleInput((make((3, 4)), dagrad.tensor([True, False, False, True]), 2.0),
                      desc="broadcast mask")
    yield SampleInput((make((4,)), dagrad.tensor(_MASK[:2]), make(())),
                      desc="mask bigger than self")
    yield SampleInput((make(()), dagrad.tensor(True), 0.5), desc="0-dim")


def _masked_fill_node(s: SampleInput) -> str:
    return "MaskedFillBackward1" if isinstance(s.args[2], dagrad.Tensor) else "MaskedFillBackward0"


def _masked_fill_errors() -> Iterator[ErrorInput]:
    x = dagrad.ones(3, 4)
    yield _err((x, dagrad.ones(3, 4, dtype=dagrad.float64), 1.0), RuntimeError,
               "masked_fill_ only supports boolean masks, but got mask with dtype double")
    yield _err((x, dagrad.ones(3, 4, dtype=dagrad.uint8), 1.0), RuntimeError,
               "masked_fill_ only supports boolean masks, but got mask with dtype unsigned char")
    yield _err((x, dagrad.tensor(_MASK), dagrad.ones(1)), RuntimeError,
               "masked_fill_ only supports a 0-dimensional value tensor, but got tensor with 1 "
               "dimension(s).")
    yield _err((x, dagrad.tensor([True, False]), 1.0), RuntimeError,
               "The size of tensor a (2) must match the size of tensor b (4) at non-singleton "
               "dimension 1")


def _masked_select_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((3, 4)), dagrad.tensor(_MASK)), desc="same shape")
    yield SampleInput((make((3, 4)), dagrad.tensor([True, False, False, True])),
                      desc="broadcast mask")
    yield SampleInput((make((4,)), dagrad.tensor(_MASK[:2])), desc="mask bigger than self")
    yield SampleInput((make((2, 2)), dagrad.zeros(2, 2, dtype=dagrad.bool)), desc="none picked")


def _masked_select_errors() -> Iterator[ErrorInput]:
    x = dagrad.ones(3, 4)
    yield _err((x, dagrad.ones(3, 4, dtype=dagrad.uint8)), RuntimeError,
               "masked_select: expected BoolTensor for mask")
    yield _err((x, dagrad.tensor([True, False])), RuntimeError,
               "The size of tensor a (2) must match the size of tensor b (4) at non-singleton "
               "dimension 1")


def _masked_scatter_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((3, 4)), dagrad.tensor(_MASK), make((3, 4))),
                      desc="source bigger than needed")
    yield SampleInput((make((3, 4)), dagrad.tensor([True, False, True, False]), make((6,))),
                      desc="broadcast mask, exact source")
    yield SampleInput((make((4,)), dagrad.tensor(_MASK[:2]), make((2, 3))),
                      desc="mask bigger than self")


def _masked_scatter_errors() -> Iterator[ErrorInput]:
    x = dagrad.ones(3, 4)
    yield _err((x, dagrad.ones(3, 4, dtype=dagrad.bool), dagrad.ones(4)), RuntimeError,
               "Number of elements of source < number of ones in mask")
    yield _err((x, dagrad.tensor(_MASK), dagrad.ones(12, dtype=dagrad.float64)), RuntimeError,
               "masked_scatter: expected self and source to have same dtypes but gotFloat and "
               "Double")
    yield _err((x, dagrad.ones(3, 4, dtype=dagrad.float64), dagrad.ones(12)), RuntimeError,
               "masked_scatter_ only supports boolean masks, but got mask with dtype Double")
    yield _err((x, dagrad.tensor([True, False]), dagrad.ones(12)), RuntimeError,
               "The size of tensor a (2) must match the size of tensor b (4) at non-singleton "
               "dimension 1")


def _clamp_bound_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    x = make((2, 3), values=[-1.5, -0.3, 0.2, 0.9, 1.7, -2.0])
    yield SampleInput((x, 0.1), desc="number")
    yield SampleInput((make((2, 3), values=[-1.5, -0.3, 0.2, 0.9, 1.7, -2.0]),
                       make((3,), values=[0.0, -1.0, 0.5])), desc="tensor, broadcast")
    yield SampleInput((make(()), -5.0), desc="0-dim")
    yield SampleInput((make((2, 3), values=[-1.5, -0.3, 0.2, 0.9, 1.7, -2.0], rg=False,
                            dtype=dagrad.int64), 0), desc="int")


def _clamp_node(stem: str) -> Callable:
    def node(s: SampleInput) -> str | None:
        if not s.args[0].is_floating_point():
            return None
        return f"{stem}Backward{1 if isinstance(s.args[1], dagrad.Tensor) else 0}"
    return node


def _eq_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((2, 3)), make((2, 3))), desc="tensor other")
    yield SampleInput((make((2, 3)), 0.5), desc="number other")
    yield SampleInput((make((2, 3), values=[1, 2, 3, 1, 2, 3]), make((3,), values=[1, 0, 3])),
                      desc="some equal", nondiff=True)


def _eq_inplace(x: Any, other: Any) -> Any:
    return SC.INPLACE_METHODS["eq_"](x * 1, other)


def _polygamma_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((2, 3), 0.5, 2), 1), desc="n=1")
    yield SampleInput((make((3,), 0.5, 2), 2), desc="n=2")


def _hyperbolic_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, False)      # as _scatter_legacy_samples: the node raises on backward
    for name, low, high in (("acosh", 1.2, 3), ("asinh", -2, 2), ("atanh", -0.9, 0.9)):
        yield SampleInput((make((2, 3), low, high), name), desc=name)


# --------------------------------------------------------------------------- the entries


def _entries() -> list:
    return [
        OpInfo("gather", op=SC.gather, torch_fn="gather", ref=_ref_gather,
               samples=_gather_samples, grad_fn="GatherBackward0", error_inputs=_gather_errors),
        OpInfo("scatter", op=SC.scatter, torch_fn="scatter", ref=_ref_scatter_fn,
               samples=_scatter_samples, grad_fn=_scatter_node,
               error_inputs=_scatter_errors, covers=("_scatter_src", "_scatter_value")),
        OpInfo("scatter.reduce", op=_quiet_scatter(SC.scatter),
               torch_fn=_quiet_scatter(lambda x, *a, **k: x.scatter(*a, **k)),
               ref=lambda x, d, i, s=None, value=None, reduce="add": _ref_scatter(
                   x, d, i, s if s is not None else value,
                   "add" if reduce == "add" else "prod"),
               samples=_scatter_legacy_samples, supports_grad=False, supports_gradgrad=False,
               covers=("_scatter_legacy",)),
        OpInfo("scatter_add", op=SC.scatter_add, torch_fn="scatter_add",
               ref=lambda x, d, i, s: _ref_scatter(x, d, i, s, "add"),
               samples=_scatter_add_samples, grad_fn="ScatterAddBackward0"),
        OpInfo("scatter_reduce", op=SC.scatter_reduce, torch_fn="scatter_reduce",
               ref=_ref_scatter_reduce, samples=_scatter_reduce_samples,
               grad_fn="ScatterReduceBackward0", error_inputs=_scatter_reduce_errors),
        OpInfo("index_select", op=SC.index_select, torch_fn="index_select",
               ref=_ref_index_select, samples=_index_select_samples,
               grad_fn="IndexSelectBackward0", error_inputs=_index_select_errors),
        OpInfo("index_add", op=SC.index_add, torch_fn="index_add", ref=_ref_index_add,
               samples=_index_add_samples, grad_fn="IndexAddBackward0",
               error_inputs=_index_add_errors),
        OpInfo("index_copy", op=SC.index_copy, torch_fn="index_copy", ref=_ref_index_copy,
               samples=_index_copy_samples, grad_fn="IndexCopyBackward0",
               error_inputs=_index_copy_errors),
        OpInfo("index_fill", op=SC.index_fill, torch_fn="index_fill", ref=_ref_index_fill,
               samples=_index_fill_samples,
               grad_fn=lambda s: "IndexFillBackward1" if isinstance(s.args[3], dagrad.Tensor)
               else "IndexFillBackward0", error_inputs=_index_fill_errors),
        OpInfo("index_put", op=SC.index_put, torch_fn="index_put", ref=_ref_index_put,
               samples=_index_put_samples, grad_fn="IndexPutBackward0",
               error_inputs=_index_put_errors, covers=("_index_put_impl",)),
        OpInfo("put", op=SC.put, torch_fn="put", ref=_ref_put, samples=_put_samples,
               grad_fn="PutBackward0", error_inputs=_put_errors),
        OpInfo("masked_fill", op=SC.masked_fill, torch_fn="masked_fill", ref=_ref_masked_fill,
               samples=_masked_fill_samples, grad_fn=_masked_fill_node,
               error_inputs=_masked_fill_errors),
        OpInfo("masked_select", op=SC.masked_select, torch_fn="masked_select",
               ref=_ref_masked_select, samples=_masked_select_samples,
               grad_fn="MaskedSelectBackward0", error_inputs=_masked_select_errors),
        OpInfo("masked_scatter", op=SC.masked_scatter, torch_fn="masked_scatter",
               ref=_ref_masked_scatter, samples=_masked_scatter_samples,
               grad_fn="MaskedScatterBackward0", error_inputs=_masked_scatter_errors,
               covers=("_masked_scatter_backward",)),
        OpInfo("clamp_min", op=SC.clamp_min, torch_fn="clamp_min", ref=np.maximum,
               samples=_clamp_bound_samples, grad_fn=_clamp_node("ClampMin")),
        OpInfo("clamp_max", op=SC.clamp_max, torch_fn="clamp_max", ref=np.minimum,
               samples=_clamp_bound_samples, grad_fn=_clamp_node("ClampMax")),
        OpInfo("eq_", op=_eq_inplace, torch_fn=lambda x, o: (x * 1).eq_(o),
               ref=lambda x, o: (x == o).astype(x.dtype), samples=_eq_samples,
               grad_fn=lambda s: "EqBackward1" if isinstance(s.args[1], dagrad.Tensor) else
               "EqBackward0", covers=("_nondiff_node",)),
        OpInfo("polygamma_", op=lambda x, n: SC.INPLACE_METHODS["polygamma_"](x * 1, n),
               torch_fn=lambda x, n: (x * 1).polygamma_(n), samples=_polygamma_samples,
               grad_fn="PolygammaBackward1", covers=("_polygamma_inplace",)),
        # PyTorch's in-place inverse hyperbolic functions have no derivative (Note [In-place
        # node names]): values only here
        OpInfo("acosh_/asinh_/atanh_",
               op=lambda x, name: SC.INPLACE_METHODS[name + "_"](x * 1),
               torch_fn=lambda x, name: getattr(x * 1, name + "_")(),
               ref=lambda x, name: getattr(np, "arc" + name[1:])(x),
               samples=_hyperbolic_samples, supports_grad=False, supports_gradgrad=False,
               covers=("_inverse_hyperbolic_inplace",)),
    ]
