"""Bad input raises PyTorch's exception type with PyTorch's message, never a NumPy traceback.

Each case is a statement run against a small namespace (``lib`` is the library under test);
the expected text is PyTorch 2.13's with ``torch.`` written ``dagrad.``. With PyTorch
installed, every case also runs under PyTorch and the two outcomes must be identical.
Cases marked ``xfail(strict=True)`` pin known bugs outside this suite's files ("core bug").
"""
from __future__ import annotations

from typing import Any

import pytest

import dagrad

BROADCAST = ("The size of tensor a (3) must match the size of tensor b (4) at non-singleton "
             "dimension 0")


def _namespace(lib: Any) -> dict:
    return {
        "lib": lib,
        "a": lib.ones(3), "b": lib.ones(4), "A": lib.ones(2, 3), "B": lib.ones(4, 5),
        "v2": lib.ones(2), "C": lib.ones(2, 3, 4), "D": lib.ones(2, 5, 4),
        "x": lib.tensor([1., 2., 3.], requires_grad=True),
        "s": lib.tensor(1.),
    }


def run(lib: Any, statement: str) -> str:
    """``"<ExceptionType>: <message>"`` for the error ``statement`` raises, else ``"no error"``."""
    try:
        exec(statement, _namespace(lib))
    except Exception as e:  # noqa: BLE001
        return f"{type(e).__name__}: {e}".replace("torch.", "dagrad.")
    return "no error"


def xfail(reason: str, statement: str, expected: str) -> Any:
    return pytest.param(statement, expected, marks=pytest.mark.xfail(
        reason=f"core bug: {reason}", strict=True), id=statement)


CASES: list[Any] = [
    # ---- shapes that do not broadcast, out of place and in place
    *[(f"a {op} b", f"RuntimeError: {BROADCAST}")
      for op in ("+", "-", "*", "/", "**", "<", "<=", ">", ">=", "==", "!=")],
    *[(f"lib.{fn}(a, b)", f"RuntimeError: {BROADCAST}")
      for fn in ("add", "sub", "mul", "div", "maximum", "lt", "eq")],
    ("lib.ones(2, 3) + lib.ones(3, 2)",
     "RuntimeError: The size of tensor a (3) must match the size of tensor b (2) at "
     "non-singleton dimension 1"),
    ("lib.ones(5, 1, 3) + lib.ones(4, 2)",
     "RuntimeError: The size of tensor a (3) must match the size of tensor b (2) at "
     "non-singleton dimension 2"),
    ("lib.where(a > 0, a, b)", f"RuntimeError: {BROADCAST}"),
    *[(stmt, f"RuntimeError: {BROADCAST}")
      for stmt in ("a += b", "a -= b", "a *= b", "a /= b", "a.add_(b)", "a.sub_(b)", "a.mul_(b)",
                   "a.div_(b)", "a.copy_(b)")],
    ("A.add_(lib.ones(3, 3))",
     "RuntimeError: The size of tensor a (2) must match the size of tensor b (3) at "
     "non-singleton dimension 0"),
    ("a += lib.ones(2, 3)",
     "RuntimeError: output with shape [3] doesn't match the broadcast shape [2, 3]"),
    # ---- matrix products
    ("A @ B", "RuntimeError: mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)"),
    ("A.mm(B)", "RuntimeError: mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)"),
    ("lib.mm(A, B)", "RuntimeError: mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)"),
    ("v2 @ B", "RuntimeError: mat1 and mat2 shapes cannot be multiplied (1x2 and 4x5)"),
    ("lib.mv(A, v2)", "RuntimeError: size mismatch, got input (2), mat (2x3), vec (2)"),
    ("A @ v2", "RuntimeError: size mismatch, got input (2), mat (2x3), vec (2)"),
    ("lib.dot(a, b)",
     "RuntimeError: inconsistent tensor size, expected tensor [3] and src [4] to have the same "
     "number of elements, but got 3 and 4 elements respectively"),
    ("a @ b",
     "RuntimeError: inconsistent tensor size, expected tensor [3] and src [4] to have the same "
     "number of elements, but got 3 and 4 elements respectively"),
    ("lib.mm(a, B)", "RuntimeError: self must be a matrix"),
    ("lib.dot(A, A)", "RuntimeError: 1D tensors expected, but got 2D and 2D tensors"),
    ("lib.mv(A, A)", "RuntimeError: vector + matrix @ vector expected, got 1, 2, 2"),
    ("lib.bmm(A, A)", "RuntimeError: batch1 must be a 3D tensor"),
    ("lib.mm(A, lib.ones(3, 2, dtype=lib.float64))",
     "RuntimeError: expected m1 and m2 to have the same dtype, but got: float != double"),
    ("lib.bmm(C, D)",
     "RuntimeError: Expected size for first two dimensions of batch2 tensor to be: [2, 4] but "
     "got: [2, 5]."),
    pytest.param("C @ D",
          "RuntimeError: Expected size for first two dimensions of batch2 tensor to be: [2, 4] "
          "but got: [2, 5]."),
    ("lib.dot(a, lib.ones(3, dtype=lib.float64))",
     "RuntimeError: dot : expected both vectors to have same dtype, but found Float and Double"),
    # ---- indexing
    ("a[5]", "IndexError: index 5 is out of bounds for dimension 0 with size 3"),
    ("a[3]", "IndexError: index 3 is out of bounds for dimension 0 with size 3"),
    ("a[-4]", "IndexError: index -4 is out of bounds for dimension 0 with size 3"),
    ("A[2]", "IndexError: index 2 is out of bounds for dimension 0 with size 2"),
    ("A[:, 5]", "IndexError: index 5 is out of bounds for dimension 1 with size 3"),
    ("a[lib.tensor([0, 5])]", "IndexError: index 5 is out of bounds for dimension 0 with size 3"),
    ("a[[0, 3]]", "IndexError: index 3 is out of bounds for dimension 0 with size 3"),
    ("A[0, 0, 0]", "IndexError: too many indices for tensor of dimension 2"),
    ("s[0]", "IndexError: invalid index of a 0-dim tensor. Use `tensor.item()` in Python or "
             "`tensor.item<T>()` in C++ to convert a 0-dim tensor to a number"),
    ("A[0, 3]", "IndexError: index 3 is out of bounds for dimension 1 with size 3"),
    pytest.param("a[1.5]",
          "IndexError: only integers, slices (`:`), ellipsis (`...`), None and long or byte "
          "Variables are valid indices (got float)"),
    pytest.param("a[5] = 1",
          "IndexError: index 5 is out of bounds for dimension 0 with size 3"),
    pytest.param("A[0] = b",
          "RuntimeError: The expanded size of the tensor (3) must match the existing size (4) "
          "at non-singleton dimension 0.  Target sizes: [3].  Tensor sizes: [4]"),
    # ---- backward
    ("(x * 2).backward()", "RuntimeError: grad can be implicitly created only for scalar outputs"),
    ("x.backward()", "RuntimeError: grad can be implicitly created only for scalar outputs"),
    ("(x * 2).backward(lib.ones(2))",
     "RuntimeError: Mismatch in shape: grad_output[0] has a shape of dagrad.Size([2]) and "
     "output[0] has a shape of dagrad.Size([3])."),
    ("(x * 2).backward(lib.ones(3, 1))",
     "RuntimeError: Mismatch in shape: grad_output[0] has a shape of dagrad.Size([3, 1]) and "
     "output[0] has a shape of dagrad.Size([3])."),
    ("x.sum().backward(lib.ones(3))",
     "RuntimeError: Mismatch in shape: grad_output[0] has a shape of dagrad.Size([3]) and "
     "output[0] has a shape of dagrad.Size([])."),
    ("lib.ones(3).sum().backward()",
     "RuntimeError: element 0 of tensors does not require grad and does not have a grad_fn"),
    ("lib.ones(3).backward(lib.ones(3))",
     "RuntimeError: element 0 of tensors does not require grad and does not have a grad_fn"),
    ("lib.tensor(1j, requires_grad=True).backward()",
     "RuntimeError: grad can be implicitly created only for real scalar outputs but got "
     "dagrad.complex64"),
    # ---- requires_grad on integer tensors
    ("lib.tensor([1, 2, 3], requires_grad=True)",
     "RuntimeError: Only Tensors of floating point and complex dtype can require gradients"),
    ("lib.tensor([1, 2]).requires_grad_()",
     "RuntimeError: only Tensors of floating point dtype can require gradients"),
    ("t = lib.tensor([1, 2]); t.requires_grad = True",
     "RuntimeError: only Tensors of floating point and complex dtype can require gradients"),
    # ---- Python conversions of several elements
    ("lib.tensor([1, 2, 3]).item()",
     "RuntimeError: a Tensor with 3 elements cannot be converted to Scalar"),
    ("lib.tensor([]).item()", "RuntimeError: a Tensor with 0 elements cannot be converted to "
                              "Scalar"),
    ("bool(lib.tensor([1, 2, 3]))",
     "RuntimeError: Boolean value of Tensor with more than one value is ambiguous"),
    ("if a > 0: pass", "RuntimeError: Boolean value of Tensor with more than one value is "
                       "ambiguous"),
    ("bool(lib.tensor([]))", "RuntimeError: Boolean value of Tensor with no values is ambiguous"),
    ("x.numpy()", "RuntimeError: Can't call numpy() on Tensor that requires grad. Use "
                  "tensor.detach().numpy() instead."),
    pytest.param("int(lib.tensor([2.5, 3]))",
          "ValueError: only one element tensors can be converted to Python scalars"),
    pytest.param("float(lib.tensor([2.5, 3]))",
          "ValueError: only one element tensors can be converted to Python scalars"),
    # ---- view / reshape
    ("A.view(4)", "RuntimeError: shape '[4]' is invalid for input of size 6"),
    ("A.view(-1, 4)", "RuntimeError: shape '[-1, 4]' is invalid for input of size 6"),
    ("A.reshape(7)", "RuntimeError: shape '[7]' is invalid for input of size 6"),
    ("A.reshape(4, -1)", "RuntimeError: shape '[4, -1]' is invalid for input of size 6"),
    ("A.reshape(0, -1)", "RuntimeError: shape '[0, -1]' is invalid for input of size 6"),
    ("A.view(-1, -1)", "RuntimeError: only one dimension can be inferred"),
    ("A.reshape(-1, -1)", "RuntimeError: only one dimension can be inferred"),
    ("A.view(2, 3, -1, -1)", "RuntimeError: only one dimension can be inferred"),
    ("A.t().view(6)",
     "RuntimeError: view size is not compatible with input tensor's size and stride (at least "
     "one dimension spans across two contiguous subspaces). Use .reshape(...) instead."),
    ("A.expand(4, 3)",
     "RuntimeError: The expanded size of the tensor (4) must match the existing size (2) at "
     "non-singleton dimension 0.  Target sizes: [4, 3].  Tensor sizes: [2, 3]"),
    ("a.expand(2)",
     "RuntimeError: The expanded size of the tensor (2) must match the existing size (3) at "
     "non-singleton dimension 0.  Target sizes: [2].  Tensor sizes: [3]"),
    ("A.expand(3)",
     "RuntimeError: expand(dagrad.FloatTensor{[2, 3]}, size=[3]): the number of sizes provided "
     "(1) must be greater or equal to the number of dimensions in the tensor (2)"),
    # ---- dim out of range
    ("A.sum(2)",
     "IndexError: Dimension out of range (expected to be in range of [-2, 1], but got 2)"),
    ("A.sum(-3)",
     "IndexError: Dimension out of range (expected to be in range of [-2, 1], but got -3)"),
    ("a.sum(1)",
     "IndexError: Dimension out of range (expected to be in range of [-1, 0], but got 1)"),
    ("A.mean(5)",
     "IndexError: Dimension out of range (expected to be in range of [-2, 1], but got 5)"),
    ("A.squeeze(3)",
     "IndexError: Dimension out of range (expected to be in range of [-2, 1], but got 3)"),
    ("A.unsqueeze(3)",
     "IndexError: Dimension out of range (expected to be in range of [-3, 2], but got 3)"),
    ("A.unsqueeze(-4)",
     "IndexError: Dimension out of range (expected to be in range of [-3, 2], but got -4)"),
    ("A.transpose(0, 2)",
     "IndexError: Dimension out of range (expected to be in range of [-2, 1], but got 2)"),
    ("A.size(2)",
     "IndexError: Dimension out of range (expected to be in range of [-2, 1], but got 2)"),
    ("lib.cat([A, A], 2)",
     "IndexError: Dimension out of range (expected to be in range of [-2, 1], but got 2)"),
    ("lib.stack([A, A], 3)",
     "IndexError: Dimension out of range (expected to be in range of [-3, 2], but got 3)"),
    ("A.permute(0, 2)",
     "IndexError: Dimension out of range (expected to be in range of [-2, 1], but got 2)"),
    ("A.flatten(3)",
     "IndexError: Dimension out of range (expected to be in range of [-2, 1], but got 3)"),
    ("A.norm(dim=3)",
     "IndexError: Dimension out of range (expected to be in range of [-2, 1], but got 3)"),
    ("s.unsqueeze(2)",
     "IndexError: Dimension out of range (expected to be in range of [-1, 0], but got 2)"),
    ("A.permute(0, 0)", "RuntimeError: permute(): duplicate dims are not allowed."),
    ("A.sum(dim=(0, 0))", "RuntimeError: dim 0 appears multiple times in the list of dims"),
    ("lib.cat([A, B])",
     "RuntimeError: Sizes of tensors must match except in dimension 0. Expected size 3 but got "
     "size 5 for tensor number 1 in the list."),
    ("lib.stack([A, B])",
     "RuntimeError: stack expects each tensor to be equal size, but got [2, 3] at entry 0 and "
     "[4, 5] at entry 1"),
    pytest.param("s.sum(1)",
          "IndexError: Dimension out of range (expected to be in range of [-1, 0], but got 1)"),
    pytest.param("s.size(1)",
          "IndexError: Dimension specified as 1 but tensor has no dimensions"),
]


def _id(case: Any) -> str:
    return case.id if hasattr(case, "id") else case[0]


@pytest.mark.parametrize("statement, expected", CASES, ids=[_id(c) for c in CASES])
def test_message(statement: str, expected: str) -> None:
    assert run(dagrad, statement) == expected


@pytest.mark.parametrize("statement, expected", CASES, ids=[_id(c) for c in CASES])
def test_message_matches_torch(statement: str, expected: str) -> None:
    torch = pytest.importorskip("torch")
    assert run(torch, statement) == expected, "the golden text is not PyTorch's"
    assert run(dagrad, statement) == expected


def test_bad_input_leaves_operands_unchanged() -> None:
    ns = _namespace(dagrad)
    with pytest.raises(RuntimeError):
        exec("a += b", ns)
    assert ns["a"].tolist() == [1., 1., 1.] and ns["a"]._version == 0
    with pytest.raises(RuntimeError):
        exec("(x * 2).backward()", ns)
    assert ns["x"].grad is None


def test_sums_and_means_of_infinities_and_empty_tensors_do_not_warn() -> None:
    # PyTorch never warns here: inf - inf is nan, an empty mean is nan, an empty sum 0
    import warnings
    cases = [([float("inf"), float("-inf"), 1.0], "nan", "nan"),
             ([3e38, 3e38, -3e38] + [0.0] * 20, "inf", "inf"),
             ([], "0.0", "nan")]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for values, total, mean in cases:
            t = dagrad.tensor(values)
            assert str(t.sum().item()) == total and str(t.mean().item()) == mean
        assert dagrad.zeros(3, 0).mean(1).isnan().all()
