"""In-place ops, views and version counters: PyTorch's semantics and messages (issue 4)."""
from __future__ import annotations

import re

import pytest

import dagrad as torch
from dagrad import _errors

HINT = ("Hint: enable anomaly detection to find the operation that failed to compute its "
        "gradient, with dagrad.autograd.set_detect_anomaly(True, check_nan=False).")


def test_setitem_on_non_leaf_view_gives_copy_slices_gradient() -> None:
    x = torch.arange(6.).requires_grad_()
    y = x * 1
    y[0] = 0
    y.sum().backward()
    assert x.grad.tolist() == [0., 1., 1., 1., 1., 1.]
    assert y.grad_fn.name() == "torch::autograd::CopySlices"
    assert type(y.grad_fn).__name__ == "CopySlices"


def test_inplace_on_leaf_requiring_grad_raises() -> None:
    a = torch.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match=re.escape(_errors.LEAF_INPLACE)):
        a.add_(1)


@pytest.mark.parametrize("how", ["setitem", "view_add"])
def test_inplace_on_view_of_leaf_raises(how: str) -> None:
    a = torch.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match=re.escape(
            "a view of a leaf Variable that requires grad is being used in an in-place operation.")):
        if how == "setitem":
            a[0] = 5
        else:
            a.view(3).add_(1)


def test_inplace_on_leaf_under_no_grad_is_allowed() -> None:
    a = torch.ones(3, requires_grad=True)
    with torch.no_grad():
        a.add_(1)
    assert repr(a) == "tensor([2., 2., 2.], requires_grad=True)"
    assert a._version == 1


def test_view_created_in_no_grad_then_modified_raises() -> None:
    a = torch.ones(3, requires_grad=True)
    b = a * 1
    with torch.no_grad():
        v = b[0:2]
    with pytest.raises(RuntimeError, match=re.escape(_errors.NO_GRAD_VIEW_INPLACE)):
        v.mul_(2)


def test_multi_output_view_modified_raises() -> None:
    b = torch.ones(4, requires_grad=True) * 1
    p = b.unbind(0)[0]
    with pytest.raises(RuntimeError, match=re.escape(
            "Output 0 of Unbind is a view and is being modified inplace. This view is the output "
            "of a function that returns multiple views.")):
        p.mul_(2)


def test_version_counter_is_shared_by_views() -> None:
    x = torch.ones(3)
    v = x.view(3)
    x.add_(1)
    assert (x._version, v._version) == (1, 1)
    v.mul_(2)
    assert (x._version, v._version) == (2, 2)
    assert x.tolist() == [4., 4., 4.]


def test_saved_output_modified_in_place_raises_with_node_and_versions() -> None:
    a = torch.tensor([1., 2., 3.], requires_grad=True)
    b = a.sigmoid()
    b.mul_(2)
    with pytest.raises(RuntimeError) as e:
        b.sum().backward()
    msg = str(e.value)
    assert msg.startswith(
        "one of the variables needed for gradient computation has been modified by an inplace "
        "operation: [dagrad.FloatTensor [3]], which is output 0 of Sigmoid, is at version 1; "
        "expected version 0 instead. " + HINT)
    # dagrad adds where it happened (issue 7): the in-place line and the saving node's line
    assert "modified in place at File" in msg and "b.mul_(2)" in msg
    assert "saved for backward by SigmoidBackward0, created at File" in msg
    assert "b = a.sigmoid()" in msg


def test_saved_input_modified_names_its_current_producer() -> None:
    a = torch.tensor([1., 2., 3.], requires_grad=True)
    b = a * 1
    c = b * b
    b.add_(1)
    with pytest.raises(RuntimeError, match=re.escape("which is output 0 of Add, is at version 1; "
                                                     "expected version 0 instead.")):
        c.sum().backward()


def test_saved_leaf_modified_has_no_producer_clause() -> None:
    a = torch.ones(3, requires_grad=True)
    b = a * a
    with torch.no_grad():
        a.add_(1)
    with pytest.raises(RuntimeError) as e:
        b.sum().backward()
    assert str(e.value).startswith(
        "one of the variables needed for gradient computation has been modified by an inplace "
        "operation: [dagrad.FloatTensor [3]] is at version 1; expected version 0 instead. " + HINT)
    assert "a.add_(1)" in str(e.value) and "b = a * a" in str(e.value)


def test_modifying_a_detached_alias_is_detected() -> None:
    a = torch.tensor([1., 2.], requires_grad=True)
    b = a * 1
    c = b * b
    b.detach().add_(1)
    with pytest.raises(RuntimeError, match="is at version 1; expected version 0"):
        c.sum().backward()


def test_exp_inplace_saves_the_new_value() -> None:
    x = torch.tensor([1., 2., 3.], requires_grad=True)
    y = x * 2
    y.exp_()
    y.sum().backward()
    assert y.grad_fn.name() == "ExpBackward0"
    assert repr(x.grad) == "tensor([ 14.7781, 109.1963, 806.8576])"


def test_inplace_mul_on_slice_uses_original_values_for_other_grad() -> None:
    x = torch.tensor([1., 2., 3.], requires_grad=True)
    w = torch.tensor([2.], requires_grad=True)
    y = x * 1
    y[1:] *= w
    y.sum().backward()
    assert x.grad.tolist() == [1., 2., 2.]
    assert w.grad.tolist() == [5.]


def test_setitem_of_tensor_requiring_grad_into_plain_tensor() -> None:
    x = torch.zeros(3)
    w = torch.tensor(2., requires_grad=True)
    x[1] = w
    (x * x).sum().backward()
    assert w.grad.item() == 4.0
    assert not x.is_leaf and x.grad_fn.name() == "torch::autograd::CopySlices"


def test_inplace_on_column_view_of_clone() -> None:
    x = torch.tensor([[1., 2.], [3., 4.]], requires_grad=True)
    y = x.clone()
    y[:, 0].mul_(3)
    y.sum().backward()
    assert x.grad.tolist() == [[3., 1.], [3., 1.]]


def test_advanced_index_setitem() -> None:
    x = torch.tensor([1., 2., 3.], requires_grad=True)
    y = x * 1
    y[[0, 2]] = torch.tensor([5., 6.])
    y.sum().backward()
    assert x.grad.tolist() == [0., 1., 0.]
    assert y.grad_fn.name() == "IndexPutBackward0"


def test_detach_shares_version_data_does_not() -> None:
    x = torch.ones(2, 3, requires_grad=True)
    y = x.detach()
    y.add_(1)
    assert (x._version, y._version) == (1, 1)
    assert x.tolist() == [[2.] * 3] * 2
    z = torch.ones(2, requires_grad=True)
    d = z.data
    d.add_(1)
    assert (z._version, d._version) == (0, 1)


def test_view_of_modified_base_is_regenerated_as_as_strided() -> None:
    x = torch.tensor([1., 2.], requires_grad=True)
    y = x * 2
    z = y[0]
    y.mul_(3)
    assert z.grad_fn.name() == "AsStridedBackward0"
    (z * 1).sum().backward()
    assert x.grad.tolist() == [6., 0.]


def test_seed000_inplace_examples() -> None:
    x = torch.tensor([1., 2., 3.]).requires_grad_()
    y = x.sin()
    y.sum().backward()
    y = x.sin()
    y += 1
    y.sum().backward()
    y = x.sin()
    y *= y
    with pytest.raises(RuntimeError, match="one of the variables needed for gradient computation "
                                           "has been modified by an inplace operation"):
        y.sum().backward()


def test_augmented_assignment_under_no_grad_updates_leaf() -> None:
    w = torch.tensor([1., 2.], requires_grad=True)
    (w * w).sum().backward()
    with torch.no_grad():
        w -= 0.5 * w.grad
    assert w.tolist() == [0., 0.]
    assert w.is_leaf and w.requires_grad


def test_allow_mutation_on_saved_tensors() -> None:
    a = torch.tensor([1., 2.], requires_grad=True)
    with torch.autograd.graph.allow_mutation_on_saved_tensors():
        b = a * 1
        c = b * b
        b.add_(1)
    c.sum().backward()
    assert a.grad.tolist() == [2., 4.]


def test_inplace_result_type_cannot_be_cast() -> None:
    x = torch.tensor([1, 2])
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output "
                                           "type Long"):
        x.mul_(1.5)


def test_inplace_vs_torch() -> None:
    tt = pytest.importorskip("torch")
    x1 = torch.tensor([[1., -2.], [3., 4.]], dtype=torch.float64, requires_grad=True)
    x2 = tt.tensor([[1., -2.], [3., 4.]], dtype=tt.float64, requires_grad=True)
    outs = []
    for lib, x in ((torch, x1), (tt, x2)):
        y = x * 2
        y[0].mul_(3)
        y[:, 1].clamp_(min=0)
        y.add_(y.detach().clone())
        z = y * 3
        z[1, 0] = 7
        (z * z).sum().backward()
        outs.append(x.grad.tolist())
    import numpy as np
    np.testing.assert_allclose(outs[0], outs[1], rtol=1e-12)
    assert outs[0] != [[0.0, 0.0], [0.0, 0.0]]


def test_inference_tensors_refuse_inplace_outside_the_mode_and_saving() -> None:
    with torch.inference_mode():
        a = torch.ones(3)
        b = a * 2
    assert a.is_inference() and b.is_inference()
    assert not (a * 2).is_inference()
    with pytest.raises(RuntimeError, match=re.escape(
            "Inplace update to inference tensor outside InferenceMode is not allowed.You can make "
            "a clone to get a normal tensor before doing inplace update.See "
            "https://github.com/pytorch/rfcs/pull/17 for more details.")):
        a.add_(1)
    w = torch.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match=re.escape(
            "Inference tensors cannot be saved for backward. Please do not use Tensors created in "
            "inference mode in computation tracked by autograd.")):
        (w * a).sum()
    with torch.inference_mode():
        a.add_(1)                       # allowed inside the mode
    assert a.tolist() == [2., 2., 2.]
