"""nn.Parameter and nn.Module: registration, traversal, state_dict, modes, dtype casts, repr and
hooks, each checked against PyTorch 2.13 where it is installed (``torch.`` -> ``dagrad.``)."""
from __future__ import annotations

import copy
import pickle
import re
import warnings

import numpy as np
import pytest

import dagrad
from dagrad import nn

torch = pytest.importorskip("torch")


def _d(s: str) -> str:
    """PyTorch's text with dagrad's name where PyTorch writes ``torch``."""
    return re.sub(r"\btorch\b", "dagrad", s)


def _copy_params(src: torch.nn.Module, dst: nn.Module) -> None:
    """Give ``dst`` exactly ``src``'s parameters and buffers (same keys, same values)."""
    dst.load_state_dict({k: dagrad.tensor(v.detach().numpy().copy())
                         for k, v in src.state_dict().items()})


def _err(fn, *args, **kwargs) -> tuple[str, str]:
    try:
        fn(*args, **kwargs)
    except Exception as e:  # noqa: BLE001  (the test compares the type and the text)
        return type(e).__name__, str(e)
    return "no error", ""


# --------------------------------------------------------------------------- Parameter


def test_parameter_repr_and_str_match_torch() -> None:
    p = nn.Parameter(dagrad.ones(2))
    t = torch.nn.Parameter(torch.ones(2))
    assert repr(p) == repr(t) == "Parameter containing:\ntensor([1., 1.], requires_grad=True)"
    assert str(p) == str(t)
    assert repr(nn.Parameter(dagrad.ones(2, dtype=dagrad.float64), requires_grad=False)) == _d(
        repr(torch.nn.Parameter(torch.ones(2, dtype=torch.float64), requires_grad=False)))


def test_parameter_is_a_leaf_sharing_memory() -> None:
    data = dagrad.zeros(3)
    p = nn.Parameter(data)
    assert isinstance(p, dagrad.Tensor) and type(p).__name__ == "Parameter"
    assert p.requires_grad and p.is_leaf and p.grad_fn is None
    with dagrad.no_grad():
        p.add_(1)
    assert data.tolist() == [1.0, 1.0, 1.0]             # same memory as `data`
    q = p * 2
    assert type(q) is dagrad.Tensor and q.grad_fn.name() == "MulBackward0"
    assert nn.Parameter().shape == (0,)


def test_parameter_of_integer_tensor_raises_torch_message() -> None:
    ours = _err(nn.Parameter, dagrad.tensor([1, 2]))
    theirs = _err(torch.nn.Parameter, torch.tensor([1, 2]))
    assert ours == theirs
    assert not nn.Parameter(dagrad.tensor([1, 2]), requires_grad=False).requires_grad


def test_parameter_deepcopy_and_pickle() -> None:
    p = nn.Parameter(dagrad.tensor([1.0, 2.0]))
    c = copy.deepcopy(p)
    assert type(c) is nn.Parameter and c.requires_grad and c.tolist() == [1.0, 2.0]
    assert c.data_ptr() != p.data_ptr()
    r = pickle.loads(pickle.dumps(p))
    assert type(r) is nn.Parameter and r.requires_grad and r.tolist() == [1.0, 2.0]


# --------------------------------------------------------------------------- registration


class _Net:
    """The same small model in both libraries: nested children, a buffer, a shared layer."""

    @staticmethod
    def build(lib):
        class Block(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.lin = lib.nn.Linear(3, 3)
                self.register_buffer("running", lib.zeros(3))
                self.register_buffer("scratch", lib.ones(1), persistent=False)

            def forward(self, x):
                return self.lin(x).relu() + self.running

        class Net(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.block = Block()
                self.seq = lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.Tanh())
                self.heads = lib.nn.ModuleDict({"a": lib.nn.Linear(4, 2),
                                                "b": lib.nn.Linear(4, 1, bias=False)})
                self.shared = self.seq[0]                     # the same module twice
                self.scale = lib.nn.Parameter(lib.ones(1))

            def forward(self, x):
                h = self.seq(self.block(x)) * self.scale
                return self.heads["a"](h).sum() + self.heads["b"](h).sum()

        return Net()


def test_named_members_match_torch() -> None:
    ours, theirs = _Net.build(dagrad), _Net.build(torch)
    names = lambda it: [n for n, _ in it]  # noqa: E731
    assert names(ours.named_parameters()) == names(theirs.named_parameters())
    assert names(ours.named_parameters(remove_duplicate=False)) == \
        names(theirs.named_parameters(remove_duplicate=False))
    assert names(ours.named_parameters(prefix="m", recurse=False)) == \
        names(theirs.named_parameters(prefix="m", recurse=False))
    assert names(ours.named_buffers()) == names(theirs.named_buffers())
    assert names(ours.named_children()) == names(theirs.named_children())
    assert names(ours.named_modules()) == names(theirs.named_modules())
    assert names(ours.named_modules(remove_duplicate=False)) == \
        names(theirs.named_modules(remove_duplicate=False))
    assert len(list(ours.parameters())) == len(list(theirs.parameters())) == 8
    assert [type(m).__name__ for m in ours.modules()] == \
        [type(m).__name__ for m in theirs.modules()]
    assert [type(m).__name__ for m in ours.children()] == \
        [type(m).__name__ for m in theirs.children()]


def test_get_submodule_parameter_buffer() -> None:
    net = _Net.build(dagrad)
    assert net.get_submodule("seq.0") is net.seq[0]
    assert net.get_parameter("heads.a.bias") is net.heads["a"].bias
    assert net.get_buffer("block.running") is net.block.running
    tnet = _Net.build(torch)
    assert _err(net.get_submodule, "seq.nope") == _err(tnet.get_submodule, "seq.nope")
    assert _err(net.get_parameter, "block.running") == _err(tnet.get_parameter, "block.running")


def test_setattr_getattr_delattr_follow_torch() -> None:
    for lib in (dagrad, torch):
        m = lib.nn.Linear(2, 2)
        m.extra = lib.nn.Parameter(lib.zeros(1))
        assert "extra" in m._parameters
        m.sub = lib.nn.ReLU()
        assert "sub" in m._modules
        m.sub = None
        assert m._modules["sub"] is None
        del m.extra
        assert "extra" not in m._parameters
        m.register_buffer("buf", lib.ones(1))
        m.buf = lib.zeros(2)                           # assigning a tensor to a buffer name
        assert m._buffers["buf"].shape == (2,)
    ours, theirs = dagrad.nn.Linear(2, 2), torch.nn.Linear(2, 2)
    for f in (lambda m, lib: setattr(m, "weight", lib.ones(2, 2)),
              lambda m, lib: getattr(m, "nope"),
              lambda m, lib: m.register_buffer("weight", lib.ones(1)),
              lambda m, lib: m.register_buffer("a.b", lib.ones(1)),
              lambda m, lib: m.register_buffer("", lib.ones(1)),
              lambda m, lib: m.register_buffer("x", 3),
              lambda m, lib: m.register_parameter("w2", lib.ones(1)),
              lambda m, lib: m.register_parameter("w3", lib.nn.Parameter(lib.ones(1)) * 2),
              lambda m, lib: m.add_module("x", 5),
              lambda m, lib: m.add_module("a.b", lib.nn.ReLU()),
              lambda m, lib: m.add_module(1, lib.nn.ReLU()),
              lambda m, lib: setattr(m, "child", lib.nn.ReLU()) or setattr(m, "child", 3)):
        a, b = _err(f, ours, dagrad), _err(f, theirs, torch)
        assert a[0] == b[0] and a[1] == _d(b[1]), (a, b)
    bad = nn.Module.__new__(nn.Module)
    assert _err(setattr, bad, "p", nn.Parameter(dagrad.ones(1))) == (
        "AttributeError", "cannot assign parameters before Module.__init__() call")


def test_buffer_class_registers_buffers() -> None:
    m = nn.Module()
    m.a = nn.Buffer(dagrad.ones(2))
    m.b = nn.Buffer(dagrad.zeros(1), persistent=False)
    assert list(m.state_dict()) == ["a"]
    assert [n for n, _ in m.named_buffers()] == ["a", "b"]
    assert type(m.a) is dagrad.Tensor


# --------------------------------------------------------------------------- state_dict


def test_state_dict_keys_values_and_round_trip() -> None:
    ours, theirs = _Net.build(dagrad), _Net.build(torch)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    _copy_params(theirs, ours)
    sd = ours.state_dict()
    assert all(v.grad_fn is None and not v.requires_grad for v in sd.values())
    assert sd._metadata[""] == {"version": 1} and "block.lin" in sd._metadata
    for k, v in theirs.state_dict().items():
        np.testing.assert_array_equal(sd[k].numpy(), v.numpy())
    fresh = _Net.build(dagrad)
    res = fresh.load_state_dict(sd)
    assert repr(res) == repr(theirs.load_state_dict(theirs.state_dict())) == \
        "<All keys matched successfully>"
    x = np.random.default_rng(0).standard_normal((2, 3)).astype(np.float32)
    assert fresh(dagrad.tensor(x)).item() == pytest.approx(theirs(torch.tensor(x)).item(),
                                                           rel=1e-5)
    kv = ours.state_dict(keep_vars=True)
    assert kv["scale"] is ours.scale


def _load_error(lib, state: dict) -> str:
    m = lib.nn.Linear(2, 3)
    with pytest.raises(RuntimeError) as e:
        m.load_state_dict(state)
    return str(e.value)


def test_load_state_dict_mismatch_messages_match_torch() -> None:
    cases = [
        {"weight": np.zeros((3, 2), np.float32)},                                   # missing
        {"weight": np.zeros((3, 2), np.float32), "bias": np.zeros(3, np.float32),
         "extra": np.zeros(1, np.float32), "sub.x": np.zeros(1, np.float32)},       # unexpected
        {"weight": np.zeros((2, 2), np.float32), "bias": np.zeros(3, np.float32)},  # size
        {"weight": np.zeros((3, 3), np.float32), "junk": np.zeros(1, np.float32)},  # all three
    ]
    for case in cases:
        ours = _load_error(dagrad, {k: dagrad.tensor(v) for k, v in case.items()})
        theirs = _load_error(torch, {k: torch.tensor(v) for k, v in case.items()})
        assert ours == _d(theirs)
    assert _load_error(dagrad, {"weight": dagrad.zeros(3, 2)}) == (
        'Error(s) in loading state_dict for Linear:\n\tMissing key(s) in state_dict: "bias". ')


def test_load_state_dict_non_strict_and_assign() -> None:
    m, t = nn.Linear(2, 3), torch.nn.Linear(2, 3)
    r = m.load_state_dict({"weight": dagrad.zeros(3, 2), "zzz": dagrad.zeros(1)}, strict=False)
    rt = t.load_state_dict({"weight": torch.zeros(3, 2), "zzz": torch.zeros(1)}, strict=False)
    assert repr(r) == repr(rt) == "_IncompatibleKeys(missing_keys=['bias'], " \
                                  "unexpected_keys=['zzz'])"
    assert r.missing_keys == ["bias"] and m.weight.tolist() == [[0.0, 0.0]] * 3
    w = dagrad.ones(3, 2)
    m.load_state_dict({"weight": w, "bias": dagrad.ones(3)}, assign=True)
    assert type(m.weight) is nn.Parameter and m.weight.requires_grad
    assert m.weight.data_ptr() == w.data_ptr()
    with pytest.raises(TypeError, match="Expected state_dict to be dict-like"):
        m.load_state_dict([1, 2])


def test_extra_state_and_state_dict_hooks() -> None:
    class WithExtra(nn.Module):
        def __init__(self):
            super().__init__()
            self.value = 0

        def get_extra_state(self):
            return {"value": self.value}

        def set_extra_state(self, state):
            self.value = state["value"]

    m = WithExtra()
    m.value = 7
    sd = m.state_dict()
    assert list(sd) == ["_extra_state"]
    n = WithExtra()
    n.load_state_dict(sd)
    assert n.value == 7
    seen = []
    n.register_state_dict_pre_hook(lambda mod, prefix, keep: seen.append(("pre", prefix)))
    n.register_state_dict_post_hook(lambda mod, sd, prefix, meta: seen.append(("post", prefix)))
    n.register_load_state_dict_post_hook(lambda mod, keys: seen.append(("load", keys)))
    n.state_dict()
    n.load_state_dict(sd)
    assert seen[:2] == [("pre", ""), ("post", "")] and seen[2][0] == "load"


# --------------------------------------------------------------------------- modes, grads, dtype


def test_train_eval_requires_grad_zero_grad_apply() -> None:
    net = _Net.build(dagrad)
    assert net.training and net.eval() is net
    assert not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())
    with pytest.raises(ValueError, match="training mode is expected to be boolean"):
        net.train("yes")
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())
    net.requires_grad_()
    net(dagrad.ones(2, 3)).backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad.numpy().any() for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    order = []
    net.apply(lambda m: order.append(type(m).__name__))
    torder = []
    _Net.build(torch).apply(lambda m: torder.append(type(m).__name__))
    assert order == torder


def test_to_double_keeps_parameter_objects() -> None:
    net = _Net.build(dagrad)
    before = list(net.parameters())
    net(dagrad.ones(1, 3)).backward()
    assert net.double() is net
    after = list(net.parameters())
    assert all(a is b for a, b in zip(before, after, strict=True))
    assert all(p.dtype == dagrad.float64 and p.grad.dtype == dagrad.float64 for p in after)
    assert net.block.running.dtype == dagrad.float64
    net.to(dagrad.float32)
    assert all(p.dtype == dagrad.float32 for p in net.parameters())
    net.to(dagrad.zeros(1, dtype=dagrad.float64))
    assert net.scale.dtype == dagrad.float64
    net.float()
    assert net.scale.dtype == dagrad.float32
    assert net.to("cpu") is net
    ours = _err(net.to, dagrad.int64)
    theirs = _err(torch.nn.Linear(1, 1).to, torch.int64)
    assert ours[0] == theirs[0] == "TypeError" and ours[1] == _d(theirs[1])


# --------------------------------------------------------------------------- repr


def test_repr_matches_torch() -> None:
    assert repr(_Net.build(dagrad)) == repr(_Net.build(torch))

    def build(lib):
        class Custom(lib.nn.Module):
            def extra_repr(self):
                return "line one\nline two"
        m = Custom()
        m.inner = lib.nn.ModuleList([lib.nn.Linear(2, 2), lib.nn.Linear(2, 2),
                                     lib.nn.Dropout(0.1), lib.nn.ReLU(inplace=True)])
        m.empty = lib.nn.Sequential()
        m.none_child = None
        return m
    assert repr(build(dagrad)) == repr(build(torch))
    assert repr(nn.Module()) == "Module()"


# --------------------------------------------------------------------------- hooks


def _fmt(t):
    if t is None:
        return None
    if isinstance(t, (tuple, list)):
        return tuple(_fmt(e) for e in t)
    if isinstance(t, dict):
        return {k: _fmt(v) for k, v in t.items()}
    if hasattr(t, "detach"):
        return [round(v, 6) for v in t.detach().reshape(-1).tolist()]
    return t


def _hooked_run(lib) -> list:
    """Every kind of module hook on one Linear; returns what each saw, in firing order."""
    log = []
    lin = lib.nn.Linear(3, 2).double()
    with lib.no_grad():
        lin.weight.copy_(lib.tensor([[1., 2., 3.], [4., 5., 6.]], dtype=lib.float64))
        lin.bias.fill_(0.5)
    lin.register_forward_pre_hook(lambda m, a: log.append(("pre", _fmt(a))))
    lin.register_forward_pre_hook(lambda m, a, k: log.append(("pre_kw", _fmt(a), sorted(k))),
                                  with_kwargs=True, prepend=True)
    lin.register_forward_hook(lambda m, a, o: log.append(("fwd", _fmt(a), _fmt(o))))
    lin.register_forward_hook(lambda m, a, k, o: log.append(("fwd_kw", _fmt(o))),
                              with_kwargs=True)
    lin.register_full_backward_pre_hook(lambda m, go: log.append(("bpre", _fmt(go))))

    def bh(m, gi, go):
        log.append(("bwd", _fmt(gi), _fmt(go)))
        return (gi[0] * 2,)
    lin.register_full_backward_hook(bh)
    x = lib.tensor([[1., -1., 2.]], dtype=lib.float64, requires_grad=True)
    y = lin(x)
    (y * lib.tensor([[1., 3.]], dtype=lib.float64)).sum().backward()
    log.append(("x.grad", _fmt(x.grad)))
    log.append(("w.grad", _fmt(lin.weight.grad)))
    log.append(("grad_fn", y.grad_fn.name()))
    return log


def test_hook_firing_order_and_arguments_match_torch() -> None:
    ours, theirs = _hooked_run(dagrad), _hooked_run(torch)
    assert ours == theirs
    assert [e[0] for e in ours[:6]] == ["pre_kw", "pre", "fwd", "fwd_kw", "bpre", "bwd"]
    assert ours[6] == ("x.grad", [26.0, 34.0, 42.0])      # the hook doubled grad_input


def _two_input_run(lib) -> list:
    """A module with a tensor, a non-tensor and a no-grad tensor input and two outputs;
    a backward pre-hook replaces grad_output."""
    log = []

    class Two(lib.nn.Module):
        def forward(self, a, k, b):
            return a * k + b, (a * b).sum()

    m = Two()
    m.register_full_backward_pre_hook(
        lambda mod, go: (log.append(("bpre", _fmt(go))), (go[0] * 10, go[1]))[1])
    m.register_full_backward_hook(lambda mod, gi, go: log.append(("bwd", _fmt(gi), _fmt(go))))
    a = lib.tensor([1., 2.], dtype=lib.float64, requires_grad=True)
    b = lib.tensor([3., 4.], dtype=lib.float64)
    y1, y2 = m(a, 2.0, b)
    (y1.sum() + y2 * 2).backward()
    log.append(("a.grad", _fmt(a.grad)))
    return log


def test_full_backward_hooks_with_mixed_inputs_and_outputs_match_torch() -> None:
    assert _two_input_run(dagrad) == _two_input_run(torch)


def test_forward_hooks_can_replace_inputs_and_outputs() -> None:
    for lib in (dagrad, torch):
        lin = lib.nn.Identity()
        lin.register_forward_pre_hook(lambda m, a: a[0] * 2)               # non-tuple: wrapped
        lin.register_forward_pre_hook(lambda m, a, k: ((a[0] + 1,), {}), with_kwargs=True)
        h = lin.register_forward_hook(lambda m, a, o: o * 10)
        assert lin(lib.tensor([1.0])).tolist() == [30.0]
        h.remove()
        assert lin(lib.tensor([1.0])).tolist() == [3.0]
    bad = nn.Identity()
    bad.register_forward_pre_hook(lambda m, a, k: 5, with_kwargs=True)
    with pytest.raises(RuntimeError, match=re.escape("forward pre-hook must return None or a "
                                                     "tuple of (new_args, new_kwargs), but got "
                                                     "5.")):
        bad(dagrad.ones(1))


def test_always_call_forward_hook_runs_when_forward_raises() -> None:
    for lib in (dagrad, torch):
        class Boom(lib.nn.Module):
            def forward(self, x):
                raise ValueError("boom")
        m = Boom()
        seen = []
        m.register_forward_hook(lambda mod, a, o: seen.append("always"), always_call=True)
        m.register_forward_hook(lambda mod, a, o: seen.append("normal"))
        with pytest.raises(ValueError, match="boom"):
            m(lib.ones(1))
        assert seen == ["always"]


def test_global_hooks_fire_before_module_hooks() -> None:
    def run(lib):
        from importlib import import_module
        mm = import_module(f"{lib.__name__}.nn.modules.module")
        seen = []
        lin = lib.nn.Linear(2, 2)
        lin.register_forward_pre_hook(lambda m, a: seen.append("local pre"))
        lin.register_forward_hook(lambda m, a, o: seen.append("local fwd"))
        lin.register_full_backward_hook(lambda m, gi, go: seen.append("local bwd"))
        handles = [mm.register_module_forward_pre_hook(lambda m, a: seen.append("global pre")),
                   mm.register_module_forward_hook(lambda m, a, o: seen.append("global fwd")),
                   mm.register_module_full_backward_pre_hook(
                       lambda m, go: seen.append("global bpre")),
                   mm.register_module_full_backward_hook(
                       lambda m, gi, go: seen.append("global bwd"))]
        try:
            lin(lib.ones(1, 2, requires_grad=True)).sum().backward()
        finally:
            for h in handles:
                h.remove()
        lin(lib.ones(1, 2, requires_grad=True)).sum().backward()
        return seen
    assert run(dagrad) == run(torch)


def test_deprecated_backward_hook_warns_and_sees_node_grads() -> None:
    def run(lib):
        log = []
        lin = lib.nn.Linear(3, 2)
        h = lin.register_backward_hook(lambda m, gi, go: log.append(
            ([None if g is None else tuple(g.shape) for g in gi], [tuple(g.shape) for g in go])))
        x = lib.ones(1, 3, requires_grad=True)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            y = lin(x)
        log.append([(c.category.__name__, str(c.message)) for c in w])
        y.sum().backward()
        h.remove()
        lin(x).sum().backward()
        log.append(_err(lin.register_full_backward_hook, lambda *a: None))
        return log
    ours, theirs = run(dagrad), run(torch)
    assert ours == theirs
    assert ours[0] == [("FutureWarning", "Using a non-full backward hook when the forward "
                        "contains multiple autograd Nodes is deprecated and will be removed in "
                        "future versions. This hook will be missing some grad_input. Please use "
                        "register_full_backward_hook to get the documented behavior.")]


def test_backward_hook_on_module_whose_inputs_need_no_grad_warns_like_torch() -> None:
    def run(lib):
        lin = lib.nn.Linear(2, 1)
        seen = []
        lin.register_full_backward_hook(lambda m, gi, go: seen.append((gi, len(go))))
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            lin(lib.ones(1, 2)).sum().backward()
        return seen, [str(c.message)[:60] for c in w]
    assert run(dagrad) == run(torch)


# --------------------------------------------------------------------------- the seed model


class TinyModel(nn.Module):
    """seed 002: Linear(1000, 100) -> ReLU -> Linear(100, 10)."""

    def __init__(self) -> None:
        super().__init__()
        self.linear1 = nn.Linear(1000, 100)
        self.activation = nn.ReLU()
        self.linear2 = nn.Linear(100, 10)

    def forward(self, x):
        return self.linear2(self.activation(self.linear1(x)))


def test_seed_002_tiny_model_step_matches_torch() -> None:
    class TorchTiny(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.linear1 = torch.nn.Linear(1000, 100)
            self.activation = torch.nn.ReLU()
            self.linear2 = torch.nn.Linear(100, 10)

        def forward(self, x):
            return self.linear2(self.activation(self.linear1(x)))

    rng = np.random.default_rng(2)
    x = rng.random((1, 1000)).astype(np.float32)
    ideal = rng.random((1, 10)).astype(np.float32)
    ours, theirs = TinyModel(), TorchTiny()
    _copy_params(theirs, ours)
    assert repr(ours) == repr(theirs).replace("TorchTiny", "TinyModel")
    opt = dagrad.optim.SGD(ours.parameters(), lr=0.001)
    topt = torch.optim.SGD(theirs.parameters(), lr=0.001)
    for _ in range(3):
        pred, tpred = ours(dagrad.tensor(x)), theirs(torch.tensor(x))
        loss = (dagrad.tensor(ideal) - pred).pow(2).sum()
        tloss = (torch.tensor(ideal) - tpred).pow(2).sum()
        assert loss.item() == pytest.approx(tloss.item(), rel=1e-5)
        loss.backward()
        tloss.backward()
        opt.step()
        topt.step()
        opt.zero_grad()
        topt.zero_grad()
    for (n, p), (tn, tp) in zip(ours.named_parameters(), theirs.named_parameters(),
                                strict=True):
        assert n == tn
        np.testing.assert_allclose(p.detach().numpy(), tp.detach().numpy(), rtol=1e-4,
                                   atol=1e-6)
