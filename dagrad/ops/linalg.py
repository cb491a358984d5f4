"""Matrix products: dot, mv, mm, matmul (all rank combinations, batched broadcasting)."""
from __future__ import annotations

import numpy as np

from dagrad import _dtypes, _errors
from dagrad._tensor import Tensor
from dagrad.ops._registry import defop
from dagrad.ops.pointwise import conj
from dagrad.ops.shape import squeeze, sum_to, transpose, unsqueeze


def _same_dtype(a: np.ndarray, b: np.ndarray, what: str) -> None:
    if a.dtype != b.dtype:
        da = _dtypes.from_numpy_dtype(a.dtype).name
        db = _dtypes.from_numpy_dtype(b.dtype).name
        names = {"float32": "float", "float64": "double", "int64": "long", "float16": "c10::Half"}
        raise RuntimeError(f"{what} to have the same dtype, but got: {names.get(da, da)} != "
                           f"{names.get(db, db)}")


@defop(node="DotBackward0", grads={
    "self": lambda grad, tensor: grad * conj(tensor),
    "tensor": lambda grad, self: grad * conj(self),
})
def dot(self, tensor):
    """Inner product of two 1-D tensors of the same length.

    Example:
        >>> dagrad.dot(dagrad.tensor([1., 2.]), dagrad.tensor([3., 4.]))
        tensor(11.)
    """
    if self.ndim != 1 or tensor.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {self.ndim}D and {tensor.ndim}D tensors")
    if self.shape[0] != tensor.shape[0]:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{self.shape[0]}] and src "
                           f"[{tensor.shape[0]}] to have the same number of elements, but got "
                           f"{self.shape[0]} and {tensor.shape[0]} elements respectively")
    _same_dtype(self, tensor, "dot : expected both vectors")
    return np.dot(self, tensor)


@defop(node="MvBackward0", grads={
    "self": lambda grad, vec: unsqueeze(grad, 1) * unsqueeze(conj(vec), 0),
    "vec": lambda grad, self: mv(conj(transpose(self, 0, 1)), grad),
})
def mv(self, vec):
    """Matrix (n, m) times vector (m,) -> (n,)."""
    if self.ndim != 2 or vec.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {self.ndim}, {vec.ndim}")
    if self.shape[1] != vec.shape[0]:
        raise RuntimeError(f"size mismatch, got input ({self.shape[0]}), mat "
                           f"({self.shape[0]}x{self.shape[1]}), vec ({vec.shape[0]})")
    _same_dtype(self, vec, "expected m1 and m2")
    return self @ vec


@defop(node="MmBackward0", grads={
    "self": lambda grad, mat2: mm(grad, conj(transpose(mat2, 0, 1))),
    "mat2": lambda grad, self: mm(conj(transpose(self, 0, 1)), grad),
})
def mm(self, mat2):
    """Matrix product of (n, m) and (m, p) -> (n, p).

    Example:
        >>> dagrad.ones(2, 3).mm(dagrad.ones(3, 4)).shape
        dagrad.Size([2, 4])
    """
    if self.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if mat2.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    if self.shape[1] != mat2.shape[0]:
        raise RuntimeError(_errors.MM_SHAPES.format(a0=self.shape[0], a1=self.shape[1],
                                                    b0=mat2.shape[0], b1=mat2.shape[1]))
    _same_dtype(self, mat2, "expected m1 and m2")
    return self @ mat2


@defop(node="UnsafeViewBackward0", grads={
    "self": lambda grad, other: _bmm(grad, conj(transpose(other, -1, -2))),
    "other": lambda grad, self: _bmm(conj(transpose(self, -1, -2)), grad),
})
def _bmm(self, other):
    # Batched (and broadcast) matrix product of >= 2-D operands; the engine sums the gradient of a
    # broadcast batch back to each operand's shape (Note [Unbroadcast]).
    if self.shape[-1] != other.shape[-2]:
        raise RuntimeError(_errors.MM_SHAPES.format(
            a0=int(np.prod(self.shape[:-1])), a1=self.shape[-1],
            b0=other.shape[-2], b1=other.shape[-1]))
    _same_dtype(self, other, "expected m1 and m2")
    try:
        return np.matmul(self, other)
    except ValueError:
        raise RuntimeError(_errors.BROADCAST.format(a=self.shape[0], b=other.shape[0], dim=0)) \
            from None


def matmul(input: Tensor, other: Tensor) -> Tensor:
    """Matrix product with NumPy's rank rules: dot, mv, mm or batched broadcasting matmul.

    Shape:
        (n,) @ (n,) -> (); (n, m) @ (m,) -> (n,); (m,) @ (m, p) -> (p,);
        (*, n, m) @ (*, m, p) -> (*, n, p) with the batch dims broadcast.

    Example:
        >>> (dagrad.ones(2, 3) @ dagrad.ones(3)).tolist()
        [3.0, 3.0]
    """
    if not isinstance(input, Tensor) or not isinstance(other, Tensor):
        raise TypeError(f"matmul(): argument 'other' (position 2) must be Tensor, not "
                        f"{type(other if isinstance(input, Tensor) else input).__name__}")
    da, db = input.dim(), other.dim()
    if da == 0 or db == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are {da}D "
                           f"and {db}D")
    if da == 1 and db == 1:
        return dot(input, other)
    if da == 2 and db == 1:
        return mv(input, other)
    if da == 1 and db == 2:
        if input.shape[0] != other.shape[0]:
            raise RuntimeError(_errors.MM_SHAPES.format(a0=1, a1=input.shape[0],
                                                        b0=other.shape[0], b1=other.shape[1]))
        return squeeze(mm(unsqueeze(input, 0), other), 0)
    if da == 2 and db == 2:
        return mm(input, other)
    if db == 1:
        return squeeze(_bmm(input, unsqueeze(other, -1)), -1)
    if da == 1:
        return squeeze(_bmm(unsqueeze(input, 0), other), -2)
    return _bmm(input, other)


def bmm(input: Tensor, mat2: Tensor) -> Tensor:
    """Batched matrix product of (b, n, m) and (b, m, p)."""
    if input.dim() != 3 or mat2.dim() != 3:
        raise RuntimeError("batch1 must be a 3D tensor" if input.dim() != 3 else
                           "batch2 must be a 3D tensor")
    return _bmm(input, mat2)


_ = sum_to
