"""Optimizers and LR schedulers against PyTorch 2.13: 100-step trajectories (float64 to 1e-10
relative, float32 to rounding), reprs, state_dict layout and round trip, hooks and messages."""
from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

import dagrad
from dagrad import nn

torch = pytest.importorskip("torch")


def _d(s: str) -> str:
    return re.sub(r"\btorch\b", "dagrad", s)


def _err(fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except Exception as e:  # noqa: BLE001
        return type(e).__name__, _d(str(e))
    return "no error", ""


OPTIMIZERS = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.5, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.1)),
    ("SGD", dict(lr=0.01, maximize=True, momentum=0.5)),
    ("Adam", dict()),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.95), eps=1e-6, weight_decay=0.05)),
    ("Adam", dict(lr=0.02, amsgrad=True)),
    ("Adam", dict(lr=0.01, maximize=True, decoupled_weight_decay=True, weight_decay=0.1)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.02, amsgrad=True, weight_decay=0.3, betas=(0.5, 0.6))),
    ("RMSprop", dict()),
    ("RMSprop", dict(lr=0.001, centered=True)),
    ("RMSprop", dict(lr=0.001, momentum=0.9, weight_decay=0.01)),
    ("RMSprop", dict(lr=0.001, centered=True, momentum=0.5, alpha=0.9, maximize=True)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=0.05, initial_accumulator_value=0.1)),
    ("Adagrad", dict(lr=0.05, eps=1e-6, maximize=True)),
]


def _ids(c) -> str:
    return c[0] + "-" + "-".join(f"{k}={v}" for k, v in c[1].items())


def _synthetic_grad(p: np.ndarray, step: int) -> np.ndarray:
    # a smooth, parameter-dependent gradient (computed in the parameter's dtype)
    return (p ** 3 - p + np.cos(p * (step % 7 + 1)) * p.dtype.type(0.5)).astype(p.dtype)


@pytest.mark.parametrize("case", OPTIMIZERS, ids=_ids)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_trajectory_matches_torch(case, dtype: str) -> None:
    """The same gradient function drives both optimizers for 100 steps; every parameter stays
    within 1e-10 (float64) or float32 rounding of PyTorch's."""
    name, kwargs = case
    init = [np.linspace(-1.5, 1.2, 12).reshape(3, 4), np.linspace(0.3, -0.7, 5)]
    ps = [nn.Parameter(dagrad.tensor(a.astype(dtype))) for a in init]
    tps = [torch.nn.Parameter(torch.tensor(a.astype(dtype))) for a in init]
    opt = getattr(dagrad.optim, name)(ps, **kwargs)
    topt = getattr(torch.optim, name)(tps, **kwargs)
    rtol = 1e-10 if dtype == "float64" else 2e-5
    sign = -1 if kwargs.get("maximize") else 1          # ascend the negated gradient: bounded
    for step in range(100):
        for p, tp in zip(ps, tps, strict=True):
            p.grad = dagrad.tensor(sign * _synthetic_grad(p.detach().numpy(), step))
            tp.grad = torch.tensor(sign * _synthetic_grad(tp.detach().numpy(), step))
        opt.step()
        topt.step()
        opt.zero_grad()
        topt.zero_grad()
    for p, tp in zip(ps, tps, strict=True):
        assert p.dtype == getattr(dagrad, dtype)
        assert np.isfinite(tp.detach().numpy()).all()
        # atol: rounding relative to the O(1) size of the parameters (values crossing 0)
        np.testing.assert_allclose(p.detach().numpy(), tp.detach().numpy(), rtol=rtol,
                                   atol=rtol * 0.1)
    for sp, tsp in zip(opt.state_dict()["state"].values(), topt.state_dict()["state"].values(),
                       strict=True):
        assert list(sp) == list(tsp)
        for k in sp:
            np.testing.assert_allclose(sp[k].numpy(), tsp[k].numpy(), rtol=rtol,
                                       atol=rtol * 0.1)
            assert sp[k].dtype == dagrad.float32 if k == "step" else getattr(dagrad, dtype)


def _model(lib):
    return lib.nn.Sequential(lib.nn.Linear(4, 8), lib.nn.Tanh(), lib.nn.Linear(8, 1))


@pytest.mark.parametrize("name,kwargs", [("SGD", dict(lr=0.05, momentum=0.9, nesterov=True)),
                                         ("Adam", dict(lr=0.01, amsgrad=True)),
                                         ("AdamW", dict(lr=0.01)),
                                         ("RMSprop", dict(lr=0.005, centered=True)),
                                         ("Adagrad", dict(lr=0.1))])
def test_training_a_model_for_100_steps_matches_torch(name: str, kwargs: dict) -> None:
    torch.manual_seed(0)            # some random inits make RMSprop diverge within float64 noise
    theirs = _model(torch).double()
    ours = _model(dagrad).double()
    ours.load_state_dict({k: dagrad.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    r = np.random.default_rng(0)
    x, y = r.standard_normal((16, 4)), r.standard_normal((16, 1))
    opt = getattr(dagrad.optim, name)(ours.parameters(), **kwargs)
    topt = getattr(torch.optim, name)(theirs.parameters(), **kwargs)
    for _ in range(100):
        def closure():
            opt.zero_grad()
            loss = nn.functional.mse_loss(ours(dagrad.tensor(x)), dagrad.tensor(y))
            loss.backward()
            return loss

        def tclosure():
            topt.zero_grad()
            loss = torch.nn.functional.mse_loss(theirs(torch.tensor(x)), torch.tensor(y))
            loss.backward()
            return loss
        loss, tloss = opt.step(closure), topt.step(tclosure)
        assert loss.item() == pytest.approx(tloss.item(), rel=1e-10)
    for p, tp in zip(ours.parameters(), theirs.parameters(), strict=True):
        np.testing.assert_allclose(p.detach().numpy(), tp.detach().numpy(), rtol=1e-10,
                                   atol=1e-13)


# --------------------------------------------------------------------------- API


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"])
def test_repr_matches_torch(name: str) -> None:
    p, tp = nn.Parameter(dagrad.ones(2)), torch.nn.Parameter(torch.ones(2))
    q, tq = nn.Parameter(dagrad.ones(1)), torch.nn.Parameter(torch.ones(1))
    opt = getattr(dagrad.optim, name)([p], lr=0.1)
    topt = getattr(torch.optim, name)([tp], lr=0.1)
    opt.add_param_group({"params": q, "lr": 0.01})
    topt.add_param_group({"params": tq, "lr": 0.01})
    assert repr(opt) == repr(topt)


def test_sgd_repr_is_pytorchs() -> None:
    opt = dagrad.optim.SGD([nn.Parameter(dagrad.ones(2))], lr=0.1)
    assert repr(opt) == ("SGD (\nParameter Group 0\n    dampening: 0\n    differentiable: False\n"
                         "    foreach: None\n    fused: None\n    lr: 0.1\n    maximize: False\n"
                         "    momentum: 0\n    nesterov: False\n    weight_decay: 0\n)")


def test_state_dict_layout_and_round_trip() -> None:
    def run(lib, steps, opt_state=None):
        torch_like = lib
        m = torch_like.nn.Linear(3, 2).double()
        with torch_like.no_grad():
            m.weight.copy_(torch_like.tensor([[0.1, -0.2, 0.3], [0.4, 0.5, -0.6]],
                                             dtype=torch_like.float64))
            m.bias.fill_(0.1)
        opt = torch_like.optim.Adam([{"params": [m.weight]}, {"params": [m.bias], "lr": 0.1}],
                                    lr=0.01, amsgrad=True)
        if opt_state is not None:
            opt.load_state_dict(opt_state)
        x = torch_like.tensor([[1.0, 2.0, 3.0]], dtype=torch_like.float64)
        for _ in range(steps):
            opt.zero_grad()
            (m(x) ** 2).sum().backward()
            opt.step()
        return m, opt

    m, opt = run(dagrad, 3)
    tm, topt = run(torch, 3)
    sd, tsd = opt.state_dict(), topt.state_dict()
    assert sd["param_groups"] == tsd["param_groups"]
    assert list(sd["state"]) == list(tsd["state"]) == [0, 1]
    for i in sd["state"]:
        assert list(sd["state"][i]) == list(tsd["state"][i]) == \
            ["step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"]
        for k, v in sd["state"][i].items():
            np.testing.assert_allclose(v.numpy(), tsd["state"][i][k].numpy(), rtol=1e-12)
    assert sd["state"][0]["step"].dtype == dagrad.float32 and sd["state"][0]["step"].dim() == 0
    # resume from the state dict: 3 + 2 steps equal 5 straight steps
    m5, _ = run(dagrad, 5)
    m2 = dagrad.nn.Linear(3, 2).double()
    m2.load_state_dict(m.state_dict())
    opt2 = dagrad.optim.Adam([{"params": [m2.weight]}, {"params": [m2.bias], "lr": 0.1}],
                             lr=0.01, amsgrad=True)
    opt2.load_state_dict(sd)
    assert opt2.state[m2.weight]["exp_avg"] is not opt.state[m.weight]["exp_avg"]
    x = dagrad.tensor([[1.0, 2.0, 3.0]], dtype=dagrad.float64)
    for _ in range(2):
        opt2.zero_grad()
        (m2(x) ** 2).sum().backward()
        opt2.step()
    np.testing.assert_allclose(m2.weight.detach().numpy(), m5.weight.detach().numpy(),
                               rtol=1e-14)
    with pytest.raises(ValueError, match="loaded state dict has a different number of "
                                         "parameter groups"):
        dagrad.optim.Adam(m2.parameters()).load_state_dict(sd)


def test_load_state_dict_casts_state_to_parameter_dtype() -> None:
    p = nn.Parameter(dagrad.ones(2, dtype=dagrad.float64))
    opt = dagrad.optim.SGD([p], lr=0.1, momentum=0.9)
    p.grad = dagrad.ones(2, dtype=dagrad.float64)
    opt.step()
    q = nn.Parameter(dagrad.ones(2))
    opt32 = dagrad.optim.SGD([q], lr=0.1, momentum=0.9)
    opt32.load_state_dict(opt.state_dict())
    assert opt32.state[q]["momentum_buffer"].dtype == dagrad.float32
    assert opt32.param_groups[0]["params"][0] is q


def test_zero_grad_add_param_group_closure_and_hooks() -> None:
    p, q = nn.Parameter(dagrad.ones(2)), nn.Parameter(dagrad.ones(3))
    opt = dagrad.optim.SGD([p], lr=0.5)
    p.grad = dagrad.ones(2)
    opt.zero_grad(set_to_none=False)
    assert p.grad.tolist() == [0.0, 0.0]
    opt.zero_grad()
    assert p.grad is None
    opt.step()                                   # no grad: the parameter is left alone
    assert p.tolist() == [1.0, 1.0]
    opt.add_param_group({"params": [q], "momentum": 0.9})
    assert opt.param_groups[1]["lr"] == 0.5 and opt.param_groups[1]["momentum"] == 0.9
    seen = []
    h1 = opt.register_step_pre_hook(lambda o, a, k: seen.append("pre"))
    opt.register_step_post_hook(lambda o, a, k: seen.append("post"))
    from dagrad.optim.optimizer import register_optimizer_step_pre_hook
    hg = register_optimizer_step_pre_hook(lambda o, a, k: seen.append("global pre"))

    def closure():
        seen.append("closure")
        assert dagrad.is_grad_enabled()
        p.grad = dagrad.ones(2)
        return 42.0
    with dagrad.no_grad():
        assert opt.step(closure) == 42.0
    assert seen == ["global pre", "pre", "closure", "post"]
    assert p.tolist() == [0.5, 0.5]
    h1.remove()
    hg.remove()
    opt.step()
    assert seen[-1] == "post" and seen.count("pre") == 1
    named = dagrad.optim.SGD(nn.Linear(2, 1).named_parameters(), lr=0.1)
    assert named.param_groups[0]["param_names"] == ["weight", "bias"]
    assert named.state_dict()["param_groups"][0]["param_names"] == ["weight", "bias"]


def test_optimizer_errors_match_torch() -> None:
    def cases(lib):
        p = lib.nn.Parameter(lib.ones(2))
        nonleaf = lib.ones(2, requires_grad=True) * 2
        return [
            lambda: lib.optim.SGD([p], lr=-1.0),
            lambda: lib.optim.SGD([p], lr=0.1, momentum=-0.5),
            lambda: lib.optim.SGD([p], lr=0.1, nesterov=True),
            lambda: lib.optim.SGD([], lr=0.1),
            lambda: lib.optim.SGD(p, lr=0.1),
            lambda: lib.optim.SGD([nonleaf], lr=0.1),
            lambda: lib.optim.SGD([p, 3], lr=0.1),
            lambda: lib.optim.SGD([{"params": [p]}, {"params": [p]}], lr=0.1),
            lambda: lib.optim.SGD({p}, lr=0.1),
            lambda: lib.optim.Adam([p], betas=(1.0, 0.9)),
            lambda: lib.optim.Adam([p], betas=(0.9, -0.1)),
            lambda: lib.optim.Adam([p], eps=-1.0),
            lambda: lib.optim.AdamW([p], weight_decay=-1.0),
            lambda: lib.optim.RMSprop([p], alpha=-1.0),
            lambda: lib.optim.Adagrad([p], lr_decay=-1.0),
            lambda: lib.optim.Adagrad([p], initial_accumulator_value=-1.0),
        ]
    for ours, theirs in zip(cases(dagrad), cases(torch), strict=True):
        assert _err(ours) == _err(theirs)
    p = nn.Parameter(dagrad.ones(2))
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        dagrad.optim.SGD([p, p], lr=0.1)
    assert "duplicate parameters" in str(w[0].message)


# --------------------------------------------------------------------------- schedulers


def _schedule(lib, make, steps: int = 30, groups: int = 1) -> list:
    params = [lib.nn.Parameter(lib.ones(1)) for _ in range(groups)]
    opt = lib.optim.SGD([{"params": [p], "lr": 0.1 * (i + 1)} for i, p in enumerate(params)],
                        lr=0.1, momentum=0.9)
    sched = make(lib.optim.lr_scheduler, opt)
    lrs = [sched.get_last_lr()]
    for _ in range(steps):
        opt.step()
        sched.step()
        lrs.append(sched.get_last_lr())
    return lrs


SCHEDULERS = [
    ("StepLR", lambda m, o: m.StepLR(o, step_size=4, gamma=0.5)),
    ("MultiStepLR", lambda m, o: m.MultiStepLR(o, milestones=[3, 7, 7, 20], gamma=0.3)),
    ("ExponentialLR", lambda m, o: m.ExponentialLR(o, gamma=0.9)),
    ("CosineAnnealingLR", lambda m, o: m.CosineAnnealingLR(o, T_max=10, eta_min=0.001)),
    ("LambdaLR", lambda m, o: m.LambdaLR(o, lr_lambda=[lambda e: 0.95 ** e,
                                                       lambda e: 1 / (e + 1)])),
]


@pytest.mark.parametrize("case", SCHEDULERS, ids=lambda c: c[0])
def test_scheduler_matches_torch(case) -> None:
    _, make = case
    ours, theirs = _schedule(dagrad, make, groups=2), _schedule(torch, make, groups=2)
    np.testing.assert_allclose(np.array(ours), np.array(theirs), rtol=1e-13)


@pytest.mark.parametrize("case", SCHEDULERS[:4], ids=lambda c: c[0])
def test_scheduler_closed_form_and_state_dict(case) -> None:
    _, make = case

    def run(lib):
        opt = lib.optim.SGD([lib.nn.Parameter(lib.ones(1))], lr=0.1)
        sched = make(lib.optim.lr_scheduler, opt)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            opt.step()
            sched.step(13)
        state = {k: v for k, v in sched.state_dict().items() if not k.startswith("_")}
        return sched.get_last_lr(), [str(c.message) for c in w], sorted(state)
    ours, theirs = run(dagrad), run(torch)
    assert ours[0] == pytest.approx(theirs[0], rel=1e-13)
    assert ours[1] == theirs[1] and ours[2] == theirs[2]


def test_scheduler_warnings_and_resume() -> None:
    def run(lib):
        opt = lib.optim.SGD([lib.nn.Parameter(lib.ones(1))], lr=0.1)
        sched = lib.optim.lr_scheduler.StepLR(opt, 2)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            sched.step()                          # before optimizer.step()
            sched.get_lr()
        return [str(c.message)[:80] for c in w]
    assert run(dagrad) == run(torch)
    opt = dagrad.optim.SGD([nn.Parameter(dagrad.ones(1))], lr=0.1)
    with pytest.raises(KeyError, match="param 'initial_lr' is not specified in param_groups"):
        dagrad.optim.lr_scheduler.StepLR(opt, 2, last_epoch=3)
    with pytest.raises(TypeError, match="int is not an Optimizer"):
        dagrad.optim.lr_scheduler.StepLR(3, 2)
    sched = dagrad.optim.lr_scheduler.ExponentialLR(opt, 0.5)
    opt.step()
    sched.step()
    state = sched.state_dict()
    opt2 = dagrad.optim.SGD([nn.Parameter(dagrad.ones(1))], lr=0.1)
    sched2 = dagrad.optim.lr_scheduler.ExponentialLR(opt2, 0.9)
    sched2.load_state_dict(state)
    assert sched2.gamma == 0.5 and sched2.last_epoch == 1 and sched2.get_last_lr() == [0.05]
