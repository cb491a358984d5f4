"""Matrix products: dot, mv, mm, matmul (all rank combinations, batched broadcasting)."""
from __future__ import annotations

import numpy as np

from dagrad import _dtypes, _errors
from dagrad._npquiet import QUIET
from dagrad._tensor import Tensor
from dagrad.ops._registry import defop
from dagrad.autograd.grad_mode import STATE
from dagrad.ops.pointwise import conj, scalar_type_name
from dagrad.ops.shape import _unsafe_view, contiguous, reshape, transpose, unsqueeze


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
    if self.dtype != tensor.dtype:
        raise RuntimeError(f"dot : expected both vectors to have same dtype, but found "
                           f"{scalar_type_name(self.dtype)} and {scalar_type_name(tensor.dtype)}")
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
    if self.dtype != vec.dtype:
        v, m = scalar_type_name(vec.dtype), scalar_type_name(self.dtype)
        raise RuntimeError(f"addmv input tensors must have the same dtype, but got {v}, {m}, and "
                           f"{v}")
    return self @ vec


# Note [Gradient layout]
# A matrix product's second operand is often a transposed view of a parameter: ``F.linear``
# records ``addmm(bias, input, weight.t())`` (or ``input @ weight.t()``), and its gradient passes
# through TBackward0 to the weight's AccumulateGrad. Computed as ``mat1^T @ grad`` it reaches the
# weight transposed (F-ordered), and AccumulateGrad must copy it into the weight's layout (the
# layout contract), a transposing copy of the whole weight every step. So the gradient of a
# transposed operand is computed transposed, ``(grad^T @ mat1)^T``: the same products, arriving
# at the weight C-ordered, where AccumulateGrad keeps it without a copy (PyTorch's
# mm_mat2_backward makes the same choice).


def f_ordered(a) -> bool:
    """A 2-D tensor or array that is a transposed (F-ordered, not C-ordered) layout."""
    d = a._data if isinstance(a, Tensor) else a
    return d.ndim == 2 and d.flags.f_contiguous and not d.flags.c_contiguous


def _mm_mat2(grad, self, mat2):
    if f_ordered(mat2):                     # Note [Gradient layout]
        return transpose(mm(transpose(grad, 0, 1), conj(self)), 0, 1)
    return mm(conj(transpose(self, 0, 1)), grad)


def _mm_mat2_np(grad, self, mat2):
    if f_ordered(mat2):
        return np.matmul(grad.T, self).T
    return np.matmul(self.T, grad)


@defop(node="MmBackward0", grads={
    "self": lambda grad, mat2: mm(grad, conj(transpose(mat2, 0, 1))),
    "mat2": _mm_mat2,
}, np_grads={
    "self": lambda grad, mat2: np.matmul(grad, mat2.T),
    "mat2": _mm_mat2_np,
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
    with QUIET:                 # PyTorch never warns on inf * 0 inside a product
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


def _check_batch2(a: tuple, b: tuple) -> None:
    if b[0] != a[0] or b[1] != a[2]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{a[0]}, {a[2]}] but got: [{b[0]}, {b[1]}].")


@defop(node="BmmBackward0", grads={
    "self": lambda grad, mat2: bmm(grad, conj(transpose(mat2, 1, 2))),
    "mat2": lambda grad, self: bmm(conj(transpose(self, 1, 2)), grad),
})
def bmm(self, mat2):
    """Batched matrix product of (b, n, m) and (b, m, p) -> (b, n, p) (no broadcasting)."""
    if self.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if mat2.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    _check_batch2(self.shape, mat2.shape)
    if self.dtype != mat2.dtype:
        raise RuntimeError(f"expected scalar type {scalar_type_name(self.dtype)} but found "
                           f"{scalar_type_name(mat2.dtype)}")
    return np.matmul(self, mat2)


@defop(node="SqueezeBackward4", view=True,
       grads={"self": lambda grad, self_shape: grad.reshape(self_shape)})
def _matmul_squeeze(self):
    # PyTorch's matmul ends (m,) @ (m, p) with an in-place squeeze_(0): node SqueezeBackward4
    return np.squeeze(self, 0)


def _should_fold(tensor1: Tensor, tensor2: Tensor) -> bool:
    """PyTorch's ``should_fold`` (ATen LinearAlgebra.cpp): fold the larger operand's batch dims
    into matrix rows and call mm/mv, instead of a batched matmul."""
    larger = tensor1.dim() >= tensor2.dim()
    t1 = tensor1 if larger else tensor2.mT
    dim_t2 = tensor2.dim() if larger else tensor1.dim()
    if not (t1.dim() >= 3 and dim_t2 <= 2):
        return False
    t2_requires_grad = tensor2.requires_grad if larger else tensor1.requires_grad
    if t2_requires_grad and STATE.grad:
        return True             # folding copies t1 but avoids an expanded t2 in the backward
    if tensor1.dim() == 2:
        return False
    if t1.numel() == 0:
        return True
    shape, strides = tuple(t1.shape), t1.stride()
    return all(strides[i] == strides[i + 1] * shape[i + 1] for i in range(t1.dim() - 2))


def matmul(input: Tensor, other: Tensor) -> Tensor:
    """Matrix product with NumPy's rank rules: dot, mv, mm or batched broadcasting matmul.

    The graph is PyTorch's (ATen ``_matmul_impl``): ``(n,) @ (n, p)`` is ``mm`` then an
    in-place squeeze; a batch times a matrix or vector is folded into one ``mm``/``mv``
    (``UnsafeViewBackward0``); other batches use a broadcasting batched product.

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
        return _matmul_squeeze(mm(unsqueeze(input, 0), other))
    if da == 2 and db == 2:
        return mm(input, other)
    if _should_fold(input, other):
        transpose_out = db > da
        t1 = other.mT if transpose_out else input
        t2 = (input.t() if da == 2 else input) if transpose_out else other
        out_shape = tuple(t1.shape[:-1])
        rows = int(np.prod(out_shape))
        t1_folded = reshape(t1, (rows, t1.shape[-1]))
        if t2.dim() == 2:
            out = _unsafe_view(mm(t1_folded, t2), out_shape + (t2.shape[1],))
            return contiguous(out.mT) if transpose_out else out
        return _unsafe_view(mv(t1_folded, t2), out_shape)
    # batched: pad 1-D operands to matrices, broadcast the batch dims, one batched product
    a = unsqueeze(input, 0) if da == 1 else input
    b = unsqueeze(other, -1) if db == 1 else other
    if a.dim() == 3 and b.dim() == 3 and (a.shape[0] == b.shape[0] or a.shape[2] != b.shape[1]):
        _check_batch2(tuple(a.shape), tuple(b.shape))     # PyTorch reports bmm's message here
    out = _bmm(a, b)
    if da == 1 or db == 1:
        shape = tuple(out.shape)
        out = _unsafe_view(out, shape[:-2] + (shape[-1],) if da == 1 else shape[:-1])
    return out

