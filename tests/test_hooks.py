"""Tensor and Node hooks, their firing order, handles, multi-grad hooks, saved-tensor hooks."""
from __future__ import annotations

import pytest

import dagrad as torch
from dagrad.autograd.graph import register_multi_grad_hook, saved_tensors_hooks


def test_hook_firing_order_matches_pytorch() -> None:
    # PyTorch 2.13 prints exactly this sequence for the same code.
    log = []
    x = torch.tensor([1., 2.], requires_grad=True)
    y = x * 2
    y.register_hook(lambda g: log.append(("y_tensor_hook", g.tolist())))
    y.grad_fn.register_prehook(lambda go: log.append(("node_pre", [g.tolist() for g in go])))
    y.grad_fn.register_hook(lambda gi, go: log.append(
        ("node_post", [g.tolist() if g is not None else None for g in gi],
         [g.tolist() for g in go])))

    def leafhook(g):
        log.append(("x_hook", g.tolist()))
        return g * 10
    x.register_hook(leafhook)
    x.register_post_accumulate_grad_hook(lambda t: log.append(("post_acc", t.grad.tolist())))
    y.retain_grad()
    y.sum().backward()
    assert log == [
        ("y_tensor_hook", [1.0, 1.0]),
        ("node_pre", [[1.0, 1.0]]),
        ("node_post", [[2.0, 2.0], None], [[1.0, 1.0]]),
        ("x_hook", [2.0, 2.0]),
        ("post_acc", [20.0, 20.0]),
    ]
    assert x.grad.tolist() == [20., 20.]
    assert y.grad.tolist() == [1., 1.]


def test_non_leaf_hook_replaces_gradient_and_handle_removes_it() -> None:
    a = torch.tensor([1., 2.], requires_grad=True)
    b = a * 3
    h = b.register_hook(lambda g: g * 0 + 1)
    (b * b).sum().backward()
    assert a.grad.tolist() == [3., 3.]
    h.remove()
    a.grad = None
    b = a * 3
    (b * b).sum().backward()
    assert a.grad.tolist() == [18., 36.]


def test_hooks_run_in_registration_order() -> None:
    log = []
    c = torch.tensor([1.], requires_grad=True)
    d = c * 1
    d.register_hook(lambda g: log.append(1))
    d.register_hook(lambda g: log.append(2))
    d.sum().backward()
    assert log == [1, 2]


def test_leaf_hook_applies_to_autograd_grad() -> None:
    e = torch.tensor([1., 2.], requires_grad=True)
    e.register_hook(lambda g: g * 2)
    (g,) = torch.autograd.grad((e * e).sum(), e)
    assert g.tolist() == [4., 8.]


def test_node_prehook_can_replace_grad_outputs() -> None:
    x = torch.tensor([1., 2.], requires_grad=True)
    y = x * 2
    y.grad_fn.register_prehook(lambda go: (go[0] * 5,))
    y.sum().backward()
    assert x.grad.tolist() == [10., 10.]


def test_register_hook_on_tensor_not_requiring_grad_raises() -> None:
    with pytest.raises(RuntimeError, match="cannot register a hook on a tensor that doesn't "
                                           "require gradient"):
        torch.ones(2).register_hook(lambda g: g)


def test_multi_grad_hook_all_and_any() -> None:
    a = torch.ones(2, requires_grad=True)
    b = torch.ones(2, requires_grad=True)
    seen = []
    h = register_multi_grad_hook((a, b), lambda gs: seen.append(
        [None if g is None else g.tolist() for g in gs]))
    (a * 2).sum().backward()
    (a * b).sum().backward()
    assert seen == [[[2., 2.], None], [[1., 1.], [1., 1.]]]
    h.remove()
    (a * b).sum().backward()
    assert len(seen) == 2
    first = []
    register_multi_grad_hook((a, b), lambda g: first.append(g.tolist()), mode="any")
    (a * 3 + b * 5).sum().backward()
    assert len(first) == 1


def test_saved_tensors_hooks_pack_and_unpack() -> None:
    packed = []

    def pack(t):
        packed.append(tuple(t.shape))
        return t.detach().clone()

    x = torch.tensor([1., 2., 3.], requires_grad=True)
    with saved_tensors_hooks(pack, lambda t: t):
        y = (x * x).exp()
    y.sum().backward()
    assert packed == [(3,), (3,), (3,)]       # self, other of mul; result of exp
    expected = (2 * x * (x * x).exp()).detach()
    torch.testing.assert_close(x.grad, expected)


def test_save_on_cpu_still_calls_through() -> None:
    x = torch.tensor([1., 2.], requires_grad=True)
    with torch.autograd.graph.save_on_cpu():
        y = (x * x).sum()
    y.backward()
    assert x.grad.tolist() == [2., 4.]


def test_anomaly_mode_names_node_and_output_and_shows_forward_stack() -> None:
    x = torch.zeros(2, requires_grad=True)
    with pytest.warns(UserWarning, match="Anomaly Detection has been enabled"):
        ctx = torch.autograd.detect_anomaly()
    with ctx:
        y = (x / x).sum()
        with pytest.warns(UserWarning, match="(?s)Error detected in DivBackward0. Traceback "
                                             "of forward call that caused the error:\n.*test_hooks"):
            with pytest.raises(RuntimeError, match="Function 'DivBackward0' returned nan values "
                                                   "in its 1th output."):
                y.backward()
    # outside anomaly mode the same backward gives nan silently, as in PyTorch
    x.grad = None
    (x / x).sum().backward()
    assert str(x.grad.tolist()) == "[nan, nan]"      # inf (self) + nan (other), as PyTorch
