"""Complex tensors: angle, view_as_real / view_as_complex, complex(real, imag), polar(abs, angle).

Gradients follow PyTorch's convention for complex numbers (conjugate Wirtinger): for a real loss
``L`` of ``z = x + iy`` the gradient is ``dL/dx + i dL/dy``, so a step ``z - lr * z.grad`` descends.
For example the gradient of ``|z|**2`` at ``1+1j`` is ``2+2j``, of ``Re(z**2)`` at ``1+2j``,
``2-4j``. The element-wise arithmetic (``mul`` uses the conjugate of the other operand, ...) lives
in ``pointwise.py``; ``conj``, ``real``, ``imag`` and ``abs`` too.
"""
from __future__ import annotations

import builtins
import math

import numpy as np

from dagrad._tensor import Tensor
from dagrad.ops._registry import defop
from dagrad.ops.pointwise import conj, eq, imag, real, scalar_type_name, sgn, where
from dagrad.ops.shape import contiguous

_COMPLEX_OF = {np.dtype(np.float32): np.dtype(np.complex64),
               np.dtype(np.float64): np.dtype(np.complex128)}


def _angle_backward(grad, self):
    if self._data.dtype.kind != "c":
        return grad * 0                       # the angle of a real number is piecewise constant
    # d angle = Im(dz / z): the gradient is i z / |z|^2 (0 at z = 0, as in PyTorch)
    return where(eq(self, 0), 0.0, grad * self / real(self * conj(self)) * 1j)


@defop(node="AngleBackward0", promote="float", grads={"self": _angle_backward})
def angle(self):
    """The argument of each element, in (-pi, pi]; for real input pi where negative, else 0
    (nan stays nan). Same as ``torch.angle``.

    Example:
        >>> dagrad.angle(dagrad.tensor([1j, -1.]))
        tensor([1.5708, 3.1416])
    """
    if self.dtype.kind == "c":
        return np.angle(self)
    out = np.where(self < 0, math.pi, 0.0).astype(self.dtype)
    return np.where(np.isnan(self), self, out)


@defop(node="ViewAsRealBackward0", view=True,
       grads={"self": lambda grad: view_as_complex(contiguous(grad))})
def view_as_real(self):
    """A real view (*, 2) of a complex tensor (*): ``[..., 0]`` is the real part, ``[..., 1]``
    the imaginary part. Shares memory, as ``torch.view_as_real``.

    Example:
        >>> dagrad.view_as_real(dagrad.tensor([1 + 2j]))
        tensor([[1., 2.]])
    """
    if self.dtype.kind != "c":
        raise RuntimeError("view_as_real is only supported for complex tensors")
    re = self.real                        # a view with self's strides, on the real parts
    return np.lib.stride_tricks.as_strided(re, self.shape + (2,),
                                           self.strides + (re.itemsize,))


def _storage_offset(a: np.ndarray) -> int | None:
    root = a
    while isinstance(root.base, np.ndarray):
        root = root.base
    if root is a:
        return 0
    return (a.__array_interface__["data"][0] - root.__array_interface__["data"][0]) // a.itemsize


@defop(node="ViewAsComplexBackward0", view=True, grads={"self": lambda grad: view_as_real(grad)})
def view_as_complex(self):
    """A complex view (*) of a real tensor (*, 2) whose last dim is contiguous. Shares memory,
    as ``torch.view_as_complex``.

    Example:
        >>> dagrad.view_as_complex(dagrad.tensor([[1., 2.]]))
        tensor([1.+2.j])
    """
    if self.dtype not in _COMPLEX_OF:
        if self.dtype == np.float16:
            raise RuntimeError("view_as_complex: Half tensors are not supported (NumPy has no "
                               "complex32)")
        raise RuntimeError("view_as_complex is only supported for half, float and double tensors, "
                           f"but got a tensor of scalar type: {scalar_type_name(self.dtype)}")
    if self.ndim == 0:
        raise RuntimeError("Input tensor must have one or more dimensions")
    if self.shape[-1] != 2:
        raise RuntimeError("Tensor must have a last dimension of size 2")
    if self.strides[-1] != self.itemsize:
        raise RuntimeError("Tensor must have a last dimension with stride 1")
    if any(s % (2 * self.itemsize) for s in self.strides[:-1]):
        raise RuntimeError("Tensor must have a stride divisible by 2 for all but last dimension")
    if (_storage_offset(self) or 0) % 2:
        raise RuntimeError("Tensor must have a storage_offset divisible by 2")
    return self.view(_COMPLEX_OF[self.dtype])[..., 0]


def _check_real_pair(a: np.ndarray, b: np.ndarray) -> np.dtype:
    if a.dtype.kind != "f" or b.dtype.kind != "f":
        raise RuntimeError(f"Expected both inputs to be Half, Float or Double tensors but got "
                           f"{scalar_type_name(a.dtype)} and {scalar_type_name(b.dtype)}")
    if a.dtype != b.dtype:
        raise RuntimeError(f"Expected object of scalar type {scalar_type_name(a.dtype)} but got "
                           f"scalar type {scalar_type_name(b.dtype)} for second argument")
    if a.dtype not in _COMPLEX_OF:
        raise RuntimeError("complex: Half tensors are not supported (NumPy has no complex32)")
    return _COMPLEX_OF[a.dtype]


@defop(node="ComplexBackward0", grads={
    "real": lambda grad: real(grad),
    "imag": lambda grad: imag(grad),
})
def complex(real, imag):
    """``real + i * imag`` from two real tensors of the same dtype (broadcasting). Same as
    ``torch.complex``.

    Example:
        >>> dagrad.complex(dagrad.tensor([1.]), dagrad.tensor([2.]))
        tensor([1.+2.j])
    """
    dt = _check_real_pair(real, imag)
    out = np.empty(np.broadcast_shapes(real.shape, imag.shape), dt)
    out.real = real
    out.imag = imag
    return out


def _polar_abs(grad, result):
    return real(conj(grad) * sgn(result))


def _polar_angle(grad, result):
    return real(conj(grad) * (result * 1j))


@defop(node="PolarBackward0", grads={"abs": _polar_abs, "angle": _polar_angle})
def polar(abs, angle):
    """``abs * (cos(angle) + i sin(angle))`` from two real tensors of the same dtype. Same as
    ``torch.polar``.

    Example:
        >>> dagrad.polar(dagrad.tensor([2.]), dagrad.tensor([0.]))
        tensor([2.+0.j])
    """
    dt = _check_real_pair(abs, angle)
    out = np.empty(np.broadcast_shapes(abs.shape, angle.shape), dt)
    out.real = abs * np.cos(angle)
    out.imag = abs * np.sin(angle)
    return out


@defop(name="conj_physical", node="ConjPhysicalBackward0",
       grads={"self": lambda grad: conj_physical(grad)})
def _conj_physical(self):
    return np.conjugate(self)


def conj_physical(self: Tensor) -> Tensor:
    """The complex conjugate as a new tensor; a real tensor is returned itself. Same as
    ``torch.conj_physical``."""
    return _conj_physical(self) if self._data.dtype.kind == "c" else self


def resolve_conj(self: Tensor) -> Tensor:
    """``self``: dagrad's ``conj`` is never lazy, so there is no conjugate bit to resolve."""
    return self


def resolve_neg(self: Tensor) -> Tensor:
    """``self``: dagrad has no lazy negation."""
    return self


def is_conj(self: Tensor) -> builtins.bool:
    """Always False (dagrad's ``conj`` materializes its result)."""
    return False
