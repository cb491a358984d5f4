"""OpInfo entries for ``dagrad/ops/manipulation.py`` (issue 3, the shape family).

Same format and conventions as ``dagrad/testing/op_db.py``, which appends ``OPS`` to ``op_db``.
Every ``op`` is the manipulation module's function, given explicitly, and ``torch_fn`` names the
PyTorch twin (a ``torch.<name>`` function, or a method call written the same way for both
libraries). Samples cover 0-dim inputs where the op allows them, empty tensors, negative dims and
non-contiguous (column-major) inputs. Error messages are PyTorch's, with ``dagrad.`` for
``torch.``.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

import dagrad
from dagrad.ops import manipulation as M

if TYPE_CHECKING:
    from dagrad.testing.op_db import ErrorInput, OpInfo, SampleInput, _Make

__all__ = ["OPS"]

# Note [Import order] (op_db_selection.py): ``OPS`` is built on first access, once op_db's names
# exist, because op_db.py imports this module at its end.


def __getattr__(name: str) -> Any:
    if name == "OPS":
        return globals().setdefault("OPS", _build())
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _build() -> list:
    global ErrorInput, OpInfo, SampleInput, _Make
    from dagrad.testing.op_db import ErrorInput, OpInfo, SampleInput, _Make
    return _entries()


def _dim_error(ndim: int, dim: int) -> str:
    n = max(ndim, 1)
    return f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})"


def _err(args: tuple, message: str, error_type: type = RuntimeError,
         kwargs: dict | None = None) -> ErrorInput:
    return ErrorInput(SampleInput(args, kwargs or {}), error_type, message)


def _method(name: str) -> Callable:
    """``x.<name>(...)``: the PyTorch twin of a method-only op (``Tensor.repeat``)."""
    def call(x: Any, *args: Any, **kwargs: Any) -> Any:
        return getattr(x, name)(*args, **kwargs)
    return call


def _ones(*shape: int) -> dagrad.Tensor:
    return dagrad.ones(shape)


# --------------------------------------------------------------------------- views and moves


def _unflatten_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((2, 6)), 1, (2, 3)), desc="dim 1")
    yield SampleInput((make((2, 6)), -1, (3, -1)), desc="negative dim, -1 size")
    yield SampleInput((make((4, 3), noncontig=True), 0, (2, 2)), desc="non-contiguous")
    yield SampleInput((make((0, 6)), 1, [2, 3]), desc="empty")
    yield SampleInput((make((6,)), 0, (1, 6, 1)), desc="1-D, unit dims")


def _unflatten_ref(x: np.ndarray, dim: int, sizes: Any) -> np.ndarray:
    d = dim % x.ndim
    sizes = list(sizes)
    if -1 in sizes:
        sizes[sizes.index(-1)] = x.shape[d] // -int(np.prod(sizes))
    return x.reshape(x.shape[:d] + tuple(sizes) + x.shape[d + 1:])


def _unflatten_errors() -> Iterator[ErrorInput]:
    yield _err((_ones(4, 6), 1, ()), "unflatten: sizes must be non-empty")
    yield _err((_ones(4, 6), 1, (4, 2)), "unflatten: Provided sizes [4, 2] don't multiply up to "
               "the size of dim 1 (6) in the input tensor")
    yield _err((_ones(4, 6), -1, (-1, 4)), "unflatten: Provided sizes [-1, 4] don't multiply up "
               "to the size of dim 1 (6) in the input tensor")
    yield _err((_ones(4, 6), 2, (3, 2)), _dim_error(2, 2), IndexError)


def _movedim_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((2, 3, 4)), 0, -1), desc="int dims")
    yield SampleInput((make((2, 3, 4)), (0, 1), (2, 0)), desc="tuples")
    yield SampleInput((make((3, 2), noncontig=True), 0, 1), desc="non-contiguous")
    yield SampleInput((make((0, 3, 2)), [1], [0]), desc="empty, lists")
    yield SampleInput((make(()), 0, -1), desc="0-dim")


def _movedim_ref(x: np.ndarray, source: Any, destination: Any) -> np.ndarray:
    return np.moveaxis(x, source, destination) if x.ndim else x


def _movedim_errors() -> Iterator[ErrorInput]:
    yield _err((_ones(4, 6), (0, 1), (0,)), "movedim: Invalid source or destination dims: source "
               "([0, 1] dims) should contain the same number of dims as destination ([0] dims)")
    yield _err((_ones(4, 6), (0, 0), (0, 1)), "movedim: repeated dim in `source` ([0, 0])")
    yield _err((_ones(4, 6), (0, 1), (1, -1)), "movedim: repeated dim in `destination` ([1, -1])")
    yield _err((_ones(4, 6), 2, 0), _dim_error(2, 2), IndexError)


def _unary_shapes(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    """2-D, 0-dim, empty, 3-D and non-contiguous inputs, no other argument."""
    make = _Make(dtype, rg)
    yield SampleInput((make((2, 3)),), desc="2-D")
    yield SampleInput((make(()),), desc="0-dim")
    yield SampleInput((make((0, 3)),), desc="empty")
    yield SampleInput((make((2, 1, 3)),), desc="3-D")
    yield SampleInput((make((3, 2), noncontig=True),), desc="non-contiguous")


def _atleast_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    for shape in ((), (3,), (2, 3), (2, 1, 3)):
        yield SampleInput((make(shape),), desc=f"{len(shape)}-D")
    yield SampleInput((make((3,)), make((2,))), desc="two 1-D tensors")
    yield SampleInput(([make(()), make(())],), desc="a list of 0-dim tensors")


def _atleast_node(ndim: int) -> Callable:
    def node(s: SampleInput) -> str | None:
        t = s.args[0][0] if isinstance(s.args[0], list) else s.args[0]
        if t.dim() >= ndim:
            return None                  # returned as it is: a leaf
        return "ViewBackward0" if t.dim() == 0 else "UnsqueezeBackward0"
    return node


def _atleast_ref(fn: Callable) -> Callable:
    def ref(*xs: Any) -> Any:
        if len(xs) == 1 and isinstance(xs[0], list):
            return tuple(fn(x) for x in xs[0])
        out = fn(*xs)
        return tuple(out) if isinstance(out, list) else out
    return ref


# --------------------------------------------------------------------------- repeat, tile


def _repeat_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((2, 3)), 2, 1), desc="(2, 1)")
    yield SampleInput((make((2, 3)), (1, 2, 2)), desc="new leading dim, tuple")
    yield SampleInput((make((2, 3)), 1, 1), desc="all ones")
    yield SampleInput((make(()), 2, 3), desc="0-dim")
    yield SampleInput((make((0, 3)), [2, 2]), desc="empty, list")
    yield SampleInput((make((3, 2), noncontig=True), 2, 3), desc="non-contiguous")
    yield SampleInput((make((2, 3)), 0, 2), desc="zero repeats")


def _repeat_ref(x: np.ndarray, *reps: Any) -> np.ndarray:
    if len(reps) == 1 and isinstance(reps[0], (tuple, list)):
        reps = tuple(reps[0])
    return np.tile(x, reps)


def _repeat_errors() -> Iterator[ErrorInput]:
    yield _err((_ones(4, 6), 2), "Number of dimensions of repeat dims can not be smaller than "
               "number of dimensions of tensor")
    yield _err((_ones(4, 6), -1, 2), "Trying to create tensor with negative dimension -4: "
               "[-4, 12]")


def _tile_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((2, 3)), (2,)), desc="fewer dims than the tensor")
    yield SampleInput((make((2, 3)), (2, 1, 1)), desc="more dims")
    yield SampleInput((make(()), ()), desc="0-dim, no dims")
    yield SampleInput((make((3, 2), noncontig=True), [1, 2]), desc="non-contiguous")


def _repeat_interleave_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((2, 3)), 2), desc="int, flattened")
    yield SampleInput((make((2, 3)), 2), {"dim": 1}, desc="int, dim 1")
    yield SampleInput((make((3, 2), noncontig=True), 3, -1), desc="non-contiguous, dim -1")
    yield SampleInput((make(()), 3), desc="0-dim")
    yield SampleInput((make((0, 2)), 2, 0), desc="empty")
    yield SampleInput((make((2, 3)), 0, 1), desc="zero repeats")
    yield SampleInput((make((2, 3)), 2, 0), {"output_size": 4}, desc="output_size")
    yield SampleInput((make((2, 3)), dagrad.tensor([1, 0, 2]), 1), desc="tensor repeats")
    yield SampleInput((make((2, 3)), dagrad.tensor([2])), desc="one-element tensor, flattened")
    yield SampleInput((make((2, 3)), dagrad.tensor(2), -2), {"output_size": 4},
                      desc="0-dim tensor, output_size")
    yield SampleInput((dagrad.tensor([2, 0, 1]),), desc="counts alone")
    yield SampleInput((dagrad.tensor([2, 1], dtype=dagrad.int32),), {"output_size": 3},
                      desc="int32 counts, output_size")


def _repeat_interleave_ref(x: np.ndarray, repeats: Any = None, dim: Any = None,
                           output_size: Any = None) -> np.ndarray:
    if repeats is None:
        return np.repeat(np.arange(len(x), dtype=x.dtype), x)
    return np.repeat(x, repeats, axis=dim)


def _repeat_interleave_node(s: SampleInput) -> str | None:
    if len(s.args) == 1:
        return None
    return "IndexSelectBackward0" if isinstance(s.args[1], dagrad.Tensor) else "ViewBackward0"


def _repeat_interleave_errors() -> Iterator[ErrorInput]:
    yield _err((_ones(4, 6), -1), "Repeats must be non-negative")
    yield _err((_ones(4, 6), dagrad.tensor([1, 2]), 0), "repeats must have the same size as input "
               "along dim, but got repeats.size(0) = 2 and input.size(0) = 4")
    yield _err((_ones(4, 6), dagrad.tensor([1, 2, 3]), -1), "repeats must have the same size as "
               "input along dim, but got repeats.size(0) = 3 and input.size(-1) = 6")
    yield _err((_ones(4, 6), dagrad.tensor([[1, 2]]), 0), "repeats must be 0-dim or 1-dim tensor")
    yield _err((_ones(4, 6), dagrad.tensor([1, 2, -1, 1]), 0), "repeats can not be negative")
    yield _err((_ones(4, 6), 2, 0), "repeat_interleave: Invalid output_size, expected 8 but got 3",
               kwargs={"output_size": 3})
    yield _err((_ones(4, 6), dagrad.tensor([1, 2, 0, 1]), 0),
               "allocated size does not match required size", kwargs={"output_size": 3})
    yield _err((_ones(4, 6), dagrad.tensor([2.0])),
               "\"repeat_interleave_cpu\" not implemented for 'Float'", NotImplementedError)
    yield _err((dagrad.tensor([[2, 3]]),), "repeat_interleave only accept 1D vector as repeat")
    yield _err((dagrad.tensor(1.5), 2, 0), _dim_error(0, 1), IndexError)


# --------------------------------------------------------------------------- flip, roll, rot90


def _flip_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((2, 3)), (0,)), desc="dim 0")
    yield SampleInput((make((2, 3, 2)), [0, -1]), desc="two dims, negative")
    yield SampleInput((make(()), ()), desc="0-dim")
    yield SampleInput((make((3, 2), noncontig=True), (1,)), desc="non-contiguous")
    yield SampleInput((make((0, 3)), (0, 1)), desc="empty")
    yield SampleInput((make((2, 3)), ()), desc="no dims")


def _flip_errors() -> Iterator[ErrorInput]:
    yield _err((_ones(4, 6), (0, 0)), "dim 0 appears multiple times in the list of dims")
    yield _err((_ones(4, 6), (2,)), _dim_error(2, 2), IndexError)


def _lr_ud_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((2, 3)),), desc="2-D")
    yield SampleInput((make((2, 3, 2)),), desc="3-D")
    yield SampleInput((make((3, 2), noncontig=True),), desc="non-contiguous")
    yield SampleInput((make((0, 3)),), desc="empty")


def _roll_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((2, 3)), 1), desc="flattened")
    yield SampleInput((make((2, 3)), 1, 0), desc="dim 0")
    yield SampleInput((make((2, 3)), (1, -2), (0, -1)), desc="two dims")
    yield SampleInput((make((3,)), -4), {"dims": 0}, desc="negative shift past the size")
    yield SampleInput((make(()), 2), desc="0-dim")
    yield SampleInput((make((0, 3)), 1, 0), desc="empty")
    yield SampleInput((make((3, 2), noncontig=True), 1, 1), desc="non-contiguous")


def _roll_ref(x: np.ndarray, shifts: Any, dims: Any = None) -> np.ndarray:
    return np.roll(x, shifts, dims)


def _roll_errors() -> Iterator[ErrorInput]:
    yield _err((_ones(4, 6), ()), "`shifts` required")
    yield _err((_ones(4, 6), (1, 2), 0), "shifts and dimensions must align. shifts: 2, dims:1")
    yield _err((_ones(4, 6), 1, 2), _dim_error(2, 2), IndexError)
    yield _err((dagrad.tensor(1.5), 1, -1), "Dimension specified as -1 but tensor has no "
               "dimensions", IndexError)


def _rot90_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((2, 3)),), desc="k=1")
    yield SampleInput((make((2, 3)), 2), desc="k=2")
    yield SampleInput((make((2, 3)), -1), desc="k=-1")
    yield SampleInput((make((2, 3)), 4), desc="k=4 (a copy)")
    yield SampleInput((make((2, 3, 2)), 1, [2, 0]), desc="dims (2, 0)")
    yield SampleInput((make((2, 3, 2)),), {"k": 3, "dims": (-1, 1)}, desc="keywords")
    yield SampleInput((make((3, 2), noncontig=True), 1), desc="non-contiguous")
    yield SampleInput((make((0, 3)), 1), desc="empty")


def _rot90_ref(x: np.ndarray, k: int = 1, dims: Any = (0, 1)) -> np.ndarray:
    return np.rot90(x, k, axes=tuple(dims))


def _rot90_errors() -> Iterator[ErrorInput]:
    yield _err((_ones(4, 6), 1, [0]), "expected total rotation dims == 2, but got dims = 1")
    yield _err((_ones(3), 1), "expected total dims >= 2, but got total dims = 1")
    yield _err((_ones(4, 6), 1, [0, 0]), "expected rotation dims to be different, but got dim0 = 0 "
               "and dim1 = 0")
    yield _err((_ones(4, 6), 1, [-1, 1]), "expected rotation dims to be different, but got dim0 = "
               "-1 and dim1 = 1")
    yield _err((_ones(4, 6), 1, [0, 3]), _dim_error(2, 3), IndexError)


# --------------------------------------------------------------------------- split


def _split_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((5, 2)), 2), desc="int, uneven")
    yield SampleInput((make((5, 2)), [1, 4]), desc="sizes")
    yield SampleInput((make((2, 6)), 3, -1), desc="negative dim")
    yield SampleInput((make((2, 6)), (2, 0, 4)), {"dim": 1}, desc="sizes with an empty piece")
    yield SampleInput((make((4,)), 10), desc="larger than the dim: one piece")
    yield SampleInput((make((0, 2)), 0), desc="empty dim, size 0")
    yield SampleInput((make((3, 2), noncontig=True), 1, 1), desc="non-contiguous")


def _split_ref(x: np.ndarray, split: Any, dim: int = 0) -> tuple:
    n = x.shape[dim]
    if isinstance(split, (list, tuple)):
        bounds = np.cumsum(split)[:-1]
    else:
        bounds = list(range(split, n, split)) if split else []
    return tuple(np.split(x, bounds, axis=dim))


def _split_node(s: SampleInput) -> str:
    return ("SplitWithSizesBackward0" if isinstance(s.args[1], (list, tuple)) else
            "SplitBackward0")


def _split_errors() -> Iterator[ErrorInput]:
    yield _err((dagrad.tensor(1.5), 1), "split expects at least a 1-dimensional tensor")
    yield _err((dagrad.tensor(1.5), [1]), "split expects at least a 1-dimensional tensor")
    yield _err((_ones(4, 6), 0), "split_size can only be 0 if dimension size is 0, but got "
               "dimension size of 4")
    yield _err((_ones(4, 6), -1), "split expects split_size be non-negative, but got "
               "split_size=-1")
    yield _err((_ones(4, 6), [1, 2]), "split_with_sizes expects split_sizes to sum exactly to 4 "
               "(input tensor's size at dimension 0), but got split_sizes=[1, 2]")
    yield _err((_ones(4, 6), [1, 2], -1), "split_with_sizes expects split_sizes to sum exactly to "
               "6 (input tensor's size at dimension -1), but got split_sizes=[1, 2]")
    yield _err((_ones(4, 6), [-1, 5]), "split_with_sizes expects split_sizes have only "
               "non-negative entries, but got split_sizes=[-1, 5]")
    yield _err((_ones(4, 6), 2, 2), _dim_error(2, 2), IndexError)


def _split_with_sizes_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((5, 2)), [1, 4]), desc="dim 0")
    yield SampleInput((make((2, 6)), [3, 0, 3], -1), desc="negative dim, an empty piece")


def _chunk_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((5, 2)), 2), desc="uneven")
    yield SampleInput((make((2, 6)), 3, -1), desc="negative dim")
    yield SampleInput((make((6,)), 4), desc="fewer pieces than chunks")
    yield SampleInput((make((0, 2)), 3), desc="empty dim: three empty pieces")
    yield SampleInput((make((3, 2), noncontig=True), 2, 1), desc="non-contiguous")


def _chunk_ref(x: np.ndarray, chunks: int, dim: int = 0) -> tuple:
    n = x.shape[dim]
    size = -(-n // chunks)
    if size == 0:
        return tuple(np.split(x, [0] * (chunks - 1), axis=dim))
    return tuple(np.split(x, list(range(size, n, size)), axis=dim))


def _chunk_node(s: SampleInput) -> str:
    return "SplitWithSizesBackward0" if s.args[0].numel() == 0 else "SplitBackward0"


def _chunk_errors() -> Iterator[ErrorInput]:
    yield _err((dagrad.tensor(1.5), 1), "chunk expects at least a 1-dimensional tensor")
    yield _err((_ones(4, 6), 0), "chunk expects `chunks` to be greater than 0, got: 0")
    yield _err((_ones(4, 6), 3, 2), _dim_error(2, 2), IndexError)


def _tensor_split_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((7, 2)), 3), desc="sections, uneven")
    yield SampleInput((make((7, 2)), [1, 5]), desc="indices")
    yield SampleInput((make((2, 6)), [3, 1, 8], -1), desc="indices out of order and range")
    yield SampleInput((make((2, 6)), [-2]), {"dim": 1}, desc="negative index")
    yield SampleInput((make((2, 6)), dagrad.tensor(4), 1), desc="0-dim tensor: sections")
    yield SampleInput((make((2, 6)), dagrad.tensor([1, 4]), 1), desc="1-D tensor: indices")
    yield SampleInput((make((2, 6)),), {"sections": 2}, desc="sections=")
    yield SampleInput((make((2, 6)),), {"indices": [1], "dim": 1}, desc="indices=")
    yield SampleInput((make((3, 2), noncontig=True), 2), desc="non-contiguous")
    yield SampleInput((make((0, 2)), 2), desc="empty")


def _tensor_split_ref(x: np.ndarray, arg: Any = None, dim: int = 0, sections: Any = None,
                      indices: Any = None) -> tuple:
    arg = next(a for a in (arg, sections, indices) if a is not None)
    arg = arg.tolist() if isinstance(arg, np.ndarray) else arg
    return tuple(np.array_split(x, arg, axis=dim))


def _tensor_split_errors() -> Iterator[ErrorInput]:
    yield _err((dagrad.tensor(1.5), 2), "tensor_split expected at least a 1-dimensional tensor, "
               "but got a tensor with 0 dims")
    yield _err((_ones(4, 6), 0), "number of sections must be larger than 0, got 0")
    yield _err((_ones(4, 6), dagrad.tensor([[1]])), "tensor_split expected "
               "tensor_indices_or_sections to be a zero-dimensional or one-dimensional tensor, "
               "but got a tensor with 2 dims")
    yield _err((_ones(4, 6), dagrad.tensor([1.0])), "tensor_split expected "
               "tensor_indices_or_sections to have dtype of long, but got Float")
    yield _err((_ones(4, 6), 2, 2), _dim_error(2, 2), IndexError)


def _hvd_samples(name: str) -> Callable:
    def samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
        make = _Make(dtype, rg)
        base = {"hsplit": (2, 6), "vsplit": (6, 2), "dsplit": (2, 1, 6)}[name]
        yield SampleInput((make(base), 3), desc="sections")
        yield SampleInput((make(base), [1, 4]), desc="indices")
        yield SampleInput((make(base), dagrad.tensor(2)), desc="0-dim tensor")
        yield SampleInput((make(base[::-1], noncontig=name != "dsplit"), 1), desc="transposed")
        if name == "hsplit":
            yield SampleInput((make((6,)), 2), desc="1-D: dim 0")
    return samples


def _hvd_ref(dim: Callable) -> Callable:
    def ref(x: np.ndarray, arg: Any) -> tuple:
        arg = arg.tolist() if isinstance(arg, np.ndarray) else arg
        return tuple(np.array_split(x, arg, axis=dim(x)))
    return ref


def _hvd_errors(name: str, need: int, dim: int) -> Callable:
    def errors() -> Iterator[ErrorInput]:
        small = _ones(*[3] * (need - 1))
        yield _err((small, 2), f"dagrad.{name} requires a tensor with at least {need} dimension, "
                   f"but got a tensor with {need - 1} dimensions!")
        big = _ones(4, 4, 4)
        yield _err((big, 3), f"dagrad.{name} attempted to split along dimension {dim}, but the "
                   f"size of the dimension 4 is not divisible by the split_size 3!")
        yield _err((big, 0), f"dagrad.{name} attempted to split along dimension {dim}, but the "
                   f"size of the dimension 4 is not divisible by the split_size 0!")
    return errors


# --------------------------------------------------------------------------- stacks


def _stack_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput(([make((2, 3)), make((2, 3))],), desc="2-D")
    yield SampleInput(([make((3,)), make((3,))],), desc="1-D")
    yield SampleInput(((make(()), make(())),), desc="0-dim, tuple")
    yield SampleInput(([make((2, 3, 2)), make((2, 3, 2))],), desc="3-D")
    yield SampleInput(([make((3, 2), noncontig=True), make((3, 2))],), desc="non-contiguous")
    yield SampleInput(([make((0, 3)), make((0, 3))],), desc="empty")


def _hstack_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    yield from _stack_samples(dtype, rg)
    make = _Make(dtype, rg, seed=1)
    yield SampleInput(([make((2, 3)), make((2, 1), rg=False)],), desc="different widths")
    yield SampleInput(([make((3,)), make((2,))],), desc="1-D of different lengths")


def _column_stack_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    yield from _stack_samples(dtype, rg)
    make = _Make(dtype, rg, seed=1)
    yield SampleInput(([make((3,)), make((3, 2))],), desc="a vector and a matrix")


def _stack_errors(name: str) -> Callable:
    def errors() -> Iterator[ErrorInput]:
        shown = "vstack" if name == "row_stack" else name
        yield _err(([],), f"{shown} expects a non-empty TensorList")
        yield _err((_ones(2, 3),), f"{name}(): argument 'tensors' (position 1) must be tuple of "
                   "Tensors, not Tensor", TypeError)
    return errors


def _meshgrid_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((2,)), make((3,))), {"indexing": "ij"}, desc="ij")
    yield SampleInput((make((2,)), make((3,))), {"indexing": "xy"}, desc="xy")
    yield SampleInput((make((2,)), make(()), make((3,))), {"indexing": "xy"},
                      desc="three, one 0-dim")
    yield SampleInput(([make((2,)), make((0,))],), {"indexing": "ij"}, desc="a list, one empty")
    yield SampleInput((make((3,)),), {"indexing": "xy"}, desc="one tensor")


def _meshgrid_ref(*xs: Any, indexing: str = "ij") -> tuple:
    if len(xs) == 1 and isinstance(xs[0], list):
        xs = tuple(xs[0])
    return tuple(np.meshgrid(*[np.reshape(x, -1) for x in xs], indexing=indexing))


def _meshgrid_errors() -> Iterator[ErrorInput]:
    yield _err((_ones(2), _ones(3)), "dagrad.meshgrid: indexing must be one of \"xy\" or \"ij\", "
               "but received: foo", kwargs={"indexing": "foo"})
    yield _err(([],), "meshgrid expects a non-empty TensorList", kwargs={"indexing": "ij"})
    yield _err((_ones(2), dagrad.ones(3, dtype=dagrad.float64)),
               "meshgrid expects all tensors to have the same dtype", kwargs={"indexing": "ij"})


# --------------------------------------------------------------------------- diagonals


def _diagonal_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((3, 4)),), desc="main")
    yield SampleInput((make((3, 4)), 1), desc="above")
    yield SampleInput((make((3, 4)), -2), desc="below")
    yield SampleInput((make((2, 3, 4)), -1, -1, 0), desc="dims (-1, 0)")
    yield SampleInput((make((2, 3, 4)),), {"offset": 1, "dim1": 2, "dim2": 1}, desc="keywords")
    yield SampleInput((make((3, 4)), 10), desc="past the end: empty")
    yield SampleInput((make((3, 2), noncontig=True),), desc="non-contiguous")
    yield SampleInput((make((0, 3)),), desc="empty")


def _diagonal_errors() -> Iterator[ErrorInput]:
    yield _err((_ones(4, 6), 0, 0, 0), "diagonal dimensions cannot be identical 0, 0")
    yield _err((_ones(4, 6), 0, 1, -1), "diagonal dimensions cannot be identical 1, -1")
    yield _err((_ones(3),), _dim_error(1, 1), IndexError)
    yield _err((dagrad.tensor(1.5),), _dim_error(0, 1), IndexError)


def _diag_embed_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((3,)),), desc="1-D")
    yield SampleInput((make((2, 3)), 1), desc="batched, above")
    yield SampleInput((make((2, 3)), -1, 0, 2), desc="dims (0, 2), below")
    yield SampleInput((make((2, 3)),), {"offset": 2, "dim1": -1, "dim2": 0}, desc="keywords")
    yield SampleInput((make((3, 2), noncontig=True),), desc="non-contiguous")
    yield SampleInput((make((0,)),), desc="empty")


def _diag_embed_ref(x: np.ndarray, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Any:
    n = x.shape[-1] + abs(offset)
    out = np.zeros(x.shape[:-1] + (n, n), x.dtype)
    i = np.arange(x.shape[-1])
    rows, cols = (i, i + offset) if offset >= 0 else (i - offset, i)
    out[..., rows, cols] = x
    nd = x.ndim + 1
    return np.moveaxis(out, (-2, -1), (dim1 % nd, dim2 % nd))


def _diag_embed_errors() -> Iterator[ErrorInput]:
    yield _err((dagrad.tensor(1.5),), _dim_error(1, -2), IndexError)
    yield _err((_ones(4, 6), 1, 0, 0), "diagonal dimensions cannot be identical 0, 0")
    yield _err((_ones(4, 6), 1, 0, 3), _dim_error(3, 3), IndexError)


def _diag_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((3,)),), desc="vector")
    yield SampleInput((make((3,)), -1), desc="vector, below")
    yield SampleInput((make((3, 4)),), desc="matrix")
    yield SampleInput((make((3, 4)),), {"diagonal": 2}, desc="matrix, above")
    yield SampleInput((make((3, 2), noncontig=True), -1), desc="non-contiguous")
    yield SampleInput((make((0,)),), desc="empty")


def _diag_errors() -> Iterator[ErrorInput]:
    yield _err((dagrad.tensor(1.5),), "diag(): Supports 1D or 2D tensors. Got 0D")
    yield _err((_ones(2, 2, 2),), "diag(): Supports 1D or 2D tensors. Got 3D")


def _diagflat_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((3,)),), desc="vector")
    yield SampleInput((make((2, 2)), 1), desc="matrix, above")
    yield SampleInput((make(()),), desc="0-dim")
    yield SampleInput((make((3, 2), noncontig=True),), {"offset": -1}, desc="non-contiguous")


def _tri_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((3, 4)),), desc="main")
    yield SampleInput((make((3, 4)), 1), desc="above")
    yield SampleInput((make((2, 3, 4)), -1), desc="batched, below")
    yield SampleInput((make((3, 4)),), {"diagonal": -10}, desc="far below")
    yield SampleInput((make((3, 2), noncontig=True),), desc="non-contiguous")
    yield SampleInput((make((0, 3)),), desc="empty")


def _tri_errors(name: str) -> Callable:
    def errors() -> Iterator[ErrorInput]:
        yield _err((_ones(3),), f"{name}: input tensor must have at least 2 dimensions")
    return errors


def _trace_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((3, 3)),), desc="square")
    yield SampleInput((make((2, 4)),), desc="wide")
    yield SampleInput((make((3, 2), noncontig=True),), desc="non-contiguous")
    yield SampleInput((make((0, 3)),), desc="empty")


def _trace_errors() -> Iterator[ErrorInput]:
    yield _err((_ones(3),), "trace: expected a matrix, but got tensor with dim 1")
    yield _err((dagrad.tensor(1.5),), "trace: expected a matrix, but got tensor with dim 0")
    yield _err((dagrad.ones(2, 2, dtype=dagrad.bool),), "\"trace\" not implemented for 'Bool'",
               NotImplementedError)


# --------------------------------------------------------------------------- indices


def _nonzero_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    vals = [0, 1.5, 0, -2, 0, 3]
    yield SampleInput((make((2, 3), values=vals),), desc="2-D")
    yield SampleInput((make((2, 3), values=vals),), {"as_tuple": True}, desc="as_tuple")
    yield SampleInput((make((), values=[2.0]),), desc="0-dim, nonzero")
    yield SampleInput((make((), values=[0.0]),), {"as_tuple": True}, desc="0-dim zero, as_tuple")
    yield SampleInput((make((0, 3)),), desc="empty")
    yield SampleInput((dagrad.tensor([[True, False], [True, True]]),), desc="bool")


def _nonzero_ref(x: np.ndarray, as_tuple: bool = False) -> Any:
    return np.nonzero(np.atleast_1d(x)) if as_tuple else np.argwhere(x)


def _where_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((2, 3), values=[0, 1.5, 0, -2, 0, 3]),), desc="2-D")
    yield SampleInput((dagrad.tensor([True, False, True]),), desc="bool")
    yield SampleInput((make((), values=[2.0]),), desc="0-dim")


def _take_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((2, 3)), dagrad.tensor([0, 5, -1, 0])), desc="repeated, negative")
    yield SampleInput((make((2, 3)), dagrad.tensor([[1, 2], [2, -6]])), desc="2-D index")
    yield SampleInput((make(()), dagrad.tensor([0, -1])), desc="0-dim input")
    yield SampleInput((make((2, 3)), dagrad.tensor(4)), desc="0-dim index")
    yield SampleInput((make((2, 3)), dagrad.tensor([], dtype=dagrad.int64)), desc="empty index")
    yield SampleInput((make((3, 2), noncontig=True), dagrad.tensor([1, 2])), desc="non-contiguous")


def _take_errors() -> Iterator[ErrorInput]:
    yield _err((_ones(4, 6), dagrad.tensor([24])), "out of range: tried to access index 24 on a "
               "tensor of 24 elements.", IndexError)
    yield _err((_ones(4, 6), dagrad.tensor([0, -25])), "out of range: tried to access index -25 "
               "on a tensor of 24 elements.", IndexError)
    yield _err((_ones(4, 6), dagrad.tensor([1.0])), "take(): Expected a long tensor for index, "
               "but got Float")
    yield _err((_ones(4, 6), dagrad.tensor([1], dtype=dagrad.int32)), "take(): Expected a long "
               "tensor for index, but got Int")
    yield _err((_ones(0), dagrad.tensor([0])), "take(): tried to take from an empty tensor",
               IndexError)


def _take_along_dim_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((3, 4)), dagrad.tensor([[0, 3], [1, 1], [2, 0]]), 1), desc="dim 1")
    yield SampleInput((make((3, 4)), dagrad.tensor([[2, 0]]), 1), desc="broadcast indices")
    yield SampleInput((make((3, 1)), dagrad.tensor([[0, 0, 0]]), 0), desc="broadcast input")
    yield SampleInput((make((2, 3, 2)), dagrad.tensor([[[1], [0], [1]]]), -1),
                      desc="negative dim")
    yield SampleInput((make((3, 4)), dagrad.tensor([11, 0, 0])), desc="dim None")
    yield SampleInput((make((3, 4)), dagrad.tensor([[-1, 5], [9, -6], [0, 2]]), 1),
                      desc="indices wrap around the dim")
    yield SampleInput((make((3, 4)), dagrad.tensor([1, 2], dtype=dagrad.int32)),
                      desc="dim None, int32")
    yield SampleInput((make((3, 2), noncontig=True), dagrad.tensor([[1], [0], [1]])),
                      {"dim": 1}, desc="non-contiguous")
    yield SampleInput((make(()), dagrad.tensor(0)), desc="0-dim, dim None")


def _take_along_dim_ref(x: np.ndarray, idx: np.ndarray, dim: Any = None) -> np.ndarray:
    if dim is None:
        return np.take_along_axis(x.reshape(-1), idx.reshape(-1), 0)
    return np.take_along_axis(x, idx % x.shape[dim], dim)


def _take_along_dim_errors() -> Iterator[ErrorInput]:
    yield _err((_ones(4, 6), dagrad.tensor([1]), 1), "dagrad.take_along_dim(): input and indices "
               "should have the same number of dimensions, but got 2 dimensions for input, and 1 "
               "dimensions for indices")
    yield _err((_ones(4, 6), dagrad.tensor([[1]], dtype=dagrad.int32), 1),
               "dagrad.take_along_dim(): dtype of indices should be Long but got Int")
    yield _err((_ones(4, 6), dagrad.tensor([1.0])),
               "gather(): Expected dtype int32/int64 for index")
    yield _err((_ones(4, 6), dagrad.tensor([[1], [2], [3]]), 1), "The size of tensor a (4) must "
               "match the size of tensor b (3) at non-singleton dimension 0")
    yield _err((_ones(4, 6), dagrad.tensor([30])), "index 30 is out of bounds for dimension 0 "
               "with size 24")
    yield _err((_ones(4, 6), dagrad.tensor([-25])), "index -25 is out of bounds for dimension 0 "
               "with size 24")
    yield _err((dagrad.tensor(1.5), dagrad.tensor(0), 0), "Dimension specified as 0 but tensor "
               "has no dimensions", IndexError)
    yield _err((_ones(4, 6), dagrad.tensor([[1]]), 2), _dim_error(2, 2), IndexError)


# --------------------------------------------------------------------------- copies


def _narrow_copy_samples(dtype: Any, rg: bool) -> Iterator[SampleInput]:
    make = _Make(dtype, rg)
    yield SampleInput((make((4, 3)), 0, 1, 2), desc="dim 0")
    yield SampleInput((make((2, 5)), -1, -3, 2), desc="negative dim and start")
    yield SampleInput((make((3, 2), noncontig=True), 1, 1, 1), desc="non-contiguous")
    yield SampleInput((make((4, 3)), 0, 4, 0), desc="empty")


def _narrow_copy_ref(x: np.ndarray, dim: int, start: int, length: int) -> np.ndarray:
    start = start % x.shape[dim] if start < 0 else start
    return np.take(x, range(start, start + length), axis=dim)


def _narrow_copy_errors() -> Iterator[ErrorInput]:
    yield _err((_ones(4, 6), 0, 5, 1), "start out of range (expected to be in range of [-4, 4], "
               "but got 5)", IndexError)
    yield _err((_ones(4, 6), 0, -5, 1), "start out of range (expected to be in range of [-4, 4], "
               "but got -5)", IndexError)
    yield _err((_ones(4, 6), 0, 2, 3), "start (2) + length (3) exceeds dimension size (4).")
    yield _err((_ones(4, 6), 0, 1, -1), "start (1) + length (-1) exceeds dimension size (4).")
    yield _err((dagrad.tensor(1.5), 0, 0, 1), "narrow() cannot be applied to a 0-dim tensor.")


# --------------------------------------------------------------------------- the entries


def _entries() -> list:
    return [
        OpInfo("unflatten", op=M.unflatten, ref=_unflatten_ref, samples=_unflatten_samples,
               grad_fn="ViewBackward0", torch_fn="unflatten", error_inputs=_unflatten_errors),
        OpInfo("movedim", op=M.movedim, ref=_movedim_ref, samples=_movedim_samples,
               grad_fn=lambda s: "PermuteBackward0" if s.args[0].dim() else "AliasBackward0",
               torch_fn="movedim", error_inputs=_movedim_errors),
        OpInfo("ravel", op=M.ravel, ref=np.ravel, samples=_unary_shapes,
               grad_fn="ViewBackward0", torch_fn="ravel"),
        OpInfo("atleast_1d", op=M.atleast_1d, ref=_atleast_ref(np.atleast_1d),
               samples=_atleast_samples, grad_fn=_atleast_node(1), torch_fn="atleast_1d"),
        OpInfo("atleast_2d", op=M.atleast_2d, ref=_atleast_ref(np.atleast_2d),
               samples=_atleast_samples, grad_fn=_atleast_node(2), torch_fn="atleast_2d"),
        OpInfo("atleast_3d", op=M.atleast_3d, ref=_atleast_ref(np.atleast_3d),
               samples=_atleast_samples, grad_fn=_atleast_node(3), torch_fn="atleast_3d"),
        OpInfo("repeat", op=M.repeat, ref=_repeat_ref, samples=_repeat_samples,
               grad_fn="RepeatBackward0", torch_fn=_method("repeat"),
               error_inputs=_repeat_errors),
        OpInfo("tile", op=M.tile, ref=np.tile, samples=_tile_samples, grad_fn="RepeatBackward0",
               torch_fn="tile"),
        OpInfo("repeat_interleave", op=M.repeat_interleave, ref=_repeat_interleave_ref,
               samples=_repeat_interleave_samples, grad_fn=_repeat_interleave_node,
               torch_fn="repeat_interleave", error_inputs=_repeat_interleave_errors,
               covers=("_index_select", "_index_select_backward", "_repeat_interleave_counts")),
        OpInfo("flip", op=M.flip, ref=lambda x, dims: np.flip(x, tuple(dims)),
               samples=_flip_samples, grad_fn="FlipBackward0", torch_fn="flip",
               error_inputs=_flip_errors),
        OpInfo("fliplr", op=M.fliplr, ref=np.fliplr, samples=_lr_ud_samples,
               grad_fn="FlipBackward0", torch_fn="fliplr",
               error_inputs=lambda: [_err((_ones(3),), "Input must be >= 2-d.")]),
        OpInfo("flipud", op=M.flipud, ref=np.flipud, samples=_lr_ud_samples,
               grad_fn="FlipBackward0", torch_fn="flipud",
               error_inputs=lambda: [_err((dagrad.tensor(1.5),), "Input must be >= 1-d.")]),
        OpInfo("roll", op=M.roll, ref=_roll_ref, samples=_roll_samples, grad_fn="RollBackward0",
               torch_fn="roll", error_inputs=_roll_errors),
        OpInfo("rot90", op=M.rot90, ref=_rot90_ref, samples=_rot90_samples,
               grad_fn="Rot90Backward0", torch_fn="rot90", error_inputs=_rot90_errors),
        OpInfo("split", op=M.split, ref=_split_ref, samples=_split_samples, grad_fn=_split_node,
               torch_fn="split", error_inputs=_split_errors),
        OpInfo("split_with_sizes", op=M.split_with_sizes, ref=_split_ref,
               samples=_split_with_sizes_samples, grad_fn="SplitWithSizesBackward0",
               torch_fn="split_with_sizes"),
        OpInfo("chunk", op=M.chunk, ref=_chunk_ref, samples=_chunk_samples, grad_fn=_chunk_node,
               torch_fn="chunk", error_inputs=_chunk_errors),
        OpInfo("tensor_split", op=M.tensor_split, ref=_tensor_split_ref,
               samples=_tensor_split_samples, grad_fn="SliceBackward0", torch_fn="tensor_split",
               error_inputs=_tensor_split_errors),
        OpInfo("hsplit", op=M.hsplit, ref=_hvd_ref(lambda x: 0 if x.ndim == 1 else 1),
               samples=_hvd_samples("hsplit"), grad_fn="SliceBackward0", torch_fn="hsplit",
               error_inputs=_hvd_errors("hsplit", 1, 1)),
        OpInfo("vsplit", op=M.vsplit, ref=_hvd_ref(lambda x: 0), samples=_hvd_samples("vsplit"),
               grad_fn="SliceBackward0", torch_fn="vsplit",
               error_inputs=_hvd_errors("vsplit", 2, 0)),
        OpInfo("dsplit", op=M.dsplit, ref=_hvd_ref(lambda x: 2), samples=_hvd_samples("dsplit"),
               grad_fn="SliceBackward0", torch_fn="dsplit",
               error_inputs=_hvd_errors("dsplit", 3, 2)),
        OpInfo("hstack", op=M.hstack, ref=np.hstack, samples=_hstack_samples,
               grad_fn="CatBackward0", torch_fn="hstack", error_inputs=_stack_errors("hstack")),
        OpInfo("vstack", op=M.vstack, ref=np.vstack, samples=_stack_samples,
               grad_fn="CatBackward0", torch_fn="vstack", error_inputs=_stack_errors("vstack")),
        OpInfo("row_stack", op=M.row_stack, ref=np.vstack, samples=_stack_samples,
               grad_fn="CatBackward0", torch_fn="row_stack",
               error_inputs=_stack_errors("row_stack")),
        OpInfo("dstack", op=M.dstack, ref=np.dstack, samples=_stack_samples,
               grad_fn="CatBackward0", torch_fn="dstack", error_inputs=_stack_errors("dstack")),
        OpInfo("column_stack", op=M.column_stack, ref=np.column_stack,
               samples=_column_stack_samples, grad_fn="CatBackward0", torch_fn="column_stack",
               error_inputs=_stack_errors("column_stack")),
        OpInfo("meshgrid", op=M.meshgrid, ref=_meshgrid_ref, samples=_meshgrid_samples,
               grad_fn="ExpandBackward0", torch_fn="meshgrid", error_inputs=_meshgrid_errors),
        OpInfo("diagonal", op=M.diagonal,
               ref=lambda x, offset=0, dim1=0, dim2=1: np.diagonal(x, offset, dim1, dim2),
               samples=_diagonal_samples,
               grad_fn="DiagonalBackward0", torch_fn="diagonal", error_inputs=_diagonal_errors,
               covers=("_diagonal_backward",)),
        OpInfo("diag_embed", op=M.diag_embed, ref=_diag_embed_ref, samples=_diag_embed_samples,
               grad_fn="DiagEmbedBackward0", torch_fn="diag_embed",
               error_inputs=_diag_embed_errors),
        OpInfo("diag", op=M.diag, ref=lambda x, diagonal=0: np.diag(x, diagonal),
               samples=_diag_samples, torch_fn="diag", error_inputs=_diag_errors,
               grad_fn=lambda s: ("DiagEmbedBackward0" if s.args[0].dim() == 1 else
                                  "DiagonalBackward0_copy"),
               covers=("_diagonal_copy",)),
        OpInfo("diagflat", op=M.diagflat, ref=lambda x, offset=0: np.diagflat(x, offset),
               samples=_diagflat_samples, grad_fn="DiagEmbedBackward0", torch_fn="diagflat"),
        OpInfo("tril", op=M.tril, ref=lambda x, diagonal=0: np.tril(x, diagonal),
               samples=_tri_samples, grad_fn="TrilBackward0", torch_fn="tril",
               error_inputs=_tri_errors("tril")),
        OpInfo("triu", op=M.triu, ref=lambda x, diagonal=0: np.triu(x, diagonal),
               samples=_tri_samples, grad_fn="TriuBackward0", torch_fn="triu",
               error_inputs=_tri_errors("triu")),
        OpInfo("trace", op=M.trace, ref=np.trace, samples=_trace_samples,
               grad_fn="TraceBackward0", torch_fn="trace", error_inputs=_trace_errors),
        OpInfo("nonzero", op=M.nonzero, ref=_nonzero_ref, samples=_nonzero_samples,
               torch_fn="nonzero", supports_grad=False, supports_gradgrad=False,
               covers=("_nonzero",)),
        OpInfo("argwhere", op=M.argwhere, ref=np.argwhere, samples=_unary_shapes,
               torch_fn="argwhere", supports_grad=False, supports_gradgrad=False),
        OpInfo("where_condition", op=M.where, ref=lambda c: np.nonzero(np.atleast_1d(c)),
               samples=_where_samples, torch_fn="where", supports_grad=False,
               supports_gradgrad=False),
        OpInfo("take", op=M.take, ref=lambda x, i: np.take(x, i), samples=_take_samples,
               grad_fn="TakeBackward0", torch_fn="take", error_inputs=_take_errors,
               covers=("_take_backward",)),
        OpInfo("take_along_dim", op=M.take_along_dim, ref=_take_along_dim_ref,
               samples=_take_along_dim_samples, grad_fn="GatherBackward0",
               torch_fn="take_along_dim", error_inputs=_take_along_dim_errors),
        OpInfo("narrow_copy", op=M.narrow_copy, ref=_narrow_copy_ref,
               samples=_narrow_copy_samples, grad_fn="NarrowCopyBackward0",
               torch_fn="narrow_copy", error_inputs=_narrow_copy_errors),
    ]
