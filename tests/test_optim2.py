"""Adadelta, Adamax, LBFGS and the second round of LR schedulers against PyTorch 2.13:
100-step trajectories (float64 to 1e-10 relative, float32 to rounding), state_dict layout, reprs
and messages."""
from __future__ import annotations

import math
import re
import warnings

import numpy as np
import pytest

import dagrad
from dagrad import nn

torch = pytest.importorskip("torch")


@pytest.fixture(autouse=True)
def _restore_global_rngs():
    """Leave PyTorch's and dagrad's global generators as found: tests elsewhere build
    randomly initialised models and must not depend on what ran here."""
    state, dstate = torch.get_rng_state(), dagrad.get_rng_state()
    yield
    torch.set_rng_state(state)
    dagrad.set_rng_state(dstate)


def _d(s: str) -> str:
    return re.sub(r"\btorch\b", "dagrad", s)


def _err(fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except Exception as e:  # noqa: BLE001
        return type(e).__name__, _d(str(e))
    return "no error", ""


def _synthetic_grad(p: np.ndarray, step: int) -> np.ndarray:
    # a smooth, parameter-dependent gradient (computed in the parameter's dtype)
    return (p ** 3 - p + np.cos(p * (step % 7 + 1)) * p.dtype.type(0.5)).astype(p.dtype)


OPTIMIZERS = [
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.8, eps=1e-5, weight_decay=0.05)),
    ("Adadelta", dict(lr=0.3, maximize=True)),
    ("Adamax", dict()),
    ("Adamax", dict(lr=0.02, betas=(0.8, 0.95), eps=1e-6, weight_decay=0.05)),
    ("Adamax", dict(lr=0.01, maximize=True)),
]


def _ids(c) -> str:
    return c[0] + "-" + "-".join(f"{k}={v}" for k, v in c[1].items())


@pytest.mark.parametrize("case", OPTIMIZERS, ids=_ids)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_trajectory_matches_torch(case, dtype: str) -> None:
    name, kwargs = case
    init = [np.linspace(-1.5, 1.2, 12).reshape(3, 4), np.linspace(0.3, -0.7, 5)]
    ps = [nn.Parameter(dagrad.tensor(a.astype(dtype))) for a in init]
    tps = [torch.nn.Parameter(torch.tensor(a.astype(dtype))) for a in init]
    opt = getattr(dagrad.optim, name)(ps, **kwargs)
    topt = getattr(torch.optim, name)(tps, **kwargs)
    rtol = 1e-10 if dtype == "float64" else 2e-5
    sign = -1 if kwargs.get("maximize") else 1
    for step in range(100):
        for p, tp in zip(ps, tps, strict=True):
            p.grad = dagrad.tensor(sign * _synthetic_grad(p.detach().numpy(), step))
            tp.grad = torch.tensor(sign * _synthetic_grad(tp.detach().numpy(), step))
        opt.step()
        topt.step()
    for p, tp in zip(ps, tps, strict=True):
        assert p.dtype == getattr(dagrad, dtype)
        np.testing.assert_allclose(p.detach().numpy(), tp.detach().numpy(), rtol=rtol,
                                   atol=rtol * 0.1)
    for sp, tsp in zip(opt.state_dict()["state"].values(), topt.state_dict()["state"].values(),
                       strict=True):
        assert list(sp) == list(tsp)
        for k in sp:
            np.testing.assert_allclose(sp[k].numpy(), tsp[k].numpy(), rtol=rtol, atol=rtol * 0.1)
    assert opt.state_dict()["param_groups"] == topt.state_dict()["param_groups"]


def _model(lib):
    return lib.nn.Sequential(lib.nn.Linear(4, 8), lib.nn.Tanh(), lib.nn.Linear(8, 1))


@pytest.mark.parametrize("name,kwargs", [
    ("Adadelta", dict(lr=1.0)), ("Adamax", dict(lr=0.01)),
    ("LBFGS", dict(max_iter=5, line_search_fn="strong_wolfe")),
], ids=["Adadelta", "Adamax", "LBFGS-strong_wolfe"])
def test_training_a_model_for_100_steps_matches_torch(name: str, kwargs: dict) -> None:
    torch.manual_seed(0)            # L-BFGS on this non-convex fit: see the Note below
    theirs = _model(torch).double()
    ours = _model(dagrad).double()
    ours.load_state_dict({k: dagrad.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    r = np.random.default_rng(0)
    x, y = r.standard_normal((16, 4)), r.standard_normal((16, 1))
    opt = getattr(dagrad.optim, name)(ours.parameters(), **kwargs)
    topt = getattr(torch.optim, name)(theirs.parameters(), **kwargs)
    steps = 100 if not name == "LBFGS" else 25       # 25 x 5 L-BFGS iterations
    for _ in range(steps):
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
        # L-BFGS drives this loss to ~1e-10, where relative differences mean nothing
        assert loss.item() == pytest.approx(tloss.item(), rel=1e-10, abs=1e-11)
    for p, tp in zip(ours.parameters(), theirs.parameters(), strict=True):
        np.testing.assert_allclose(p.detach().numpy(), tp.detach().numpy(), rtol=1e-10,
                                   atol=1e-9)
    if name == "LBFGS":
        s, ts = opt.state[next(ours.parameters())], topt.state[next(theirs.parameters())]
        assert s["func_evals"] == ts["func_evals"] and s["n_iter"] == ts["n_iter"]
        assert sorted(s) == sorted(ts)
        np.testing.assert_allclose(s["d"].numpy(), ts["d"].numpy(), rtol=1e-8, atol=1e-12)


# Note: on a non-convex, badly conditioned objective (a small network fitted to ~0 loss, or
# Rosenbrock with fixed steps) L-BFGS amplifies ulp-level differences of the two libraries'
# arithmetic (matmul summation order) by ~10x per iteration, so those runs agree only for a
# while. On a strongly convex objective both converge to the same point and stay within ~1e-15.


def _logistic_data(dtype: str) -> tuple:
    r = np.random.default_rng(1)
    return r.standard_normal((40, 6)).astype(dtype), np.sign(r.standard_normal(40)).astype(dtype)


@pytest.mark.parametrize("kwargs", [dict(max_iter=1, history_size=10, lr=0.5),
                                    dict(lr=0.2, max_iter=2),
                                    dict(max_iter=3, line_search_fn="strong_wolfe",
                                         history_size=4)],
                         ids=["one-iteration-per-step", "two-iterations", "strong_wolfe"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_lbfgs_100_steps_on_regularised_logistic_regression(kwargs: dict, dtype: str) -> None:
    if dtype == "float32" and "line_search_fn" in kwargs:
        pytest.skip("float32 at the convergence floor: stopping tests on 1e-9 changes of a "
                    "float32 loss depend on rounding luck")
    X, y = _logistic_data(dtype)
    w0 = np.linspace(-1, 1, 6).astype(dtype)
    p, tp = nn.Parameter(dagrad.tensor(w0)), torch.nn.Parameter(torch.tensor(w0))
    opt, topt = dagrad.optim.LBFGS([p], **kwargs), torch.optim.LBFGS([tp], **kwargs)
    Xd, yd, Xt, yt = dagrad.tensor(X), dagrad.tensor(y), torch.tensor(X), torch.tensor(y)
    rtol = 1e-10 if dtype == "float64" else 1e-4
    for _ in range(100):
        def closure():
            opt.zero_grad()
            loss = nn.functional.softplus(-yd * (Xd @ p)).mean() + 0.05 * (p * p).sum()
            loss.backward()
            return loss

        def tclosure():
            topt.zero_grad()
            loss = torch.nn.functional.softplus(-yt * (Xt @ tp)).mean() + 0.05 * (tp * tp).sum()
            loss.backward()
            return loss
        loss, tloss = opt.step(closure), topt.step(tclosure)
        assert loss.item() == pytest.approx(tloss.item(), rel=rtol)
        np.testing.assert_allclose(p.detach().numpy(), tp.detach().numpy(), rtol=rtol,
                                   atol=rtol)
    s, ts = opt.state[p], topt.state[tp]
    assert (s["func_evals"], s["n_iter"]) == (ts["func_evals"], ts["n_iter"])
    assert list(s) == list(ts)
    assert len(s["old_dirs"]) == len(ts["old_dirs"])
    np.testing.assert_allclose(s["prev_flat_grad"].numpy(), ts["prev_flat_grad"].numpy(),
                               rtol=1e-6, atol=1e-9 if dtype == "float64" else 1e-5)


def _rosenbrock(xy):
    return (1 - xy[0]) ** 2 + 100 * (xy[1] - xy[0] ** 2) ** 2


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_lbfgs_strong_wolfe_on_rosenbrock_matches_torch(dtype: str) -> None:
    start = np.array([-1.2, 1.0], dtype=dtype)
    kwargs = dict(line_search_fn="strong_wolfe", history_size=3, max_iter=7, lr=0.8)
    p, tp = nn.Parameter(dagrad.tensor(start)), torch.nn.Parameter(torch.tensor(start))
    opt, topt = dagrad.optim.LBFGS([p], **kwargs), torch.optim.LBFGS([tp], **kwargs)
    path, tpath = [], []
    for _ in range(6):
        def closure():
            opt.zero_grad()
            loss = _rosenbrock(p)
            loss.backward()
            return loss

        def tclosure():
            topt.zero_grad()
            loss = _rosenbrock(tp)
            loss.backward()
            return loss
        opt.step(closure)
        topt.step(tclosure)
        path.append(p.detach().numpy().copy())
        tpath.append(tp.detach().numpy().copy())
    rtol = 1e-10 if dtype == "float64" else 1e-4
    np.testing.assert_allclose(np.array(path), np.array(tpath), rtol=rtol, atol=rtol)
    s, ts = opt.state[p], topt.state[tp]
    assert (s["func_evals"], s["n_iter"]) == (ts["func_evals"], ts["n_iter"])


def test_lbfgs_api_and_errors() -> None:
    p = nn.Parameter(dagrad.zeros(3, dtype=dagrad.float64))
    opt = dagrad.optim.LBFGS([p], line_search_fn="strong_wolfe")
    topt = torch.optim.LBFGS([torch.nn.Parameter(torch.zeros(3))], line_search_fn="strong_wolfe")
    assert repr(opt) == repr(topt)
    assert opt.param_groups[0]["max_eval"] == 25

    def closure():
        opt.zero_grad()
        loss = ((p - dagrad.tensor([1.0, 2.0, 3.0], dtype=dagrad.float64)) ** 2).sum()
        loss.backward()
        return loss
    first = opt.step(closure)
    assert first.item() == 14.0 and np.allclose(p.detach().numpy(), [1, 2, 3])
    assert opt.step(closure).item() < 1e-12                # at the optimum: returns at once
    q = nn.Parameter(dagrad.ones(1))
    for ours, theirs in [
        (lambda: dagrad.optim.LBFGS([{"params": [q]}, {"params": [nn.Parameter(dagrad.ones(1))]}]),
         lambda: torch.optim.LBFGS([{"params": [torch.nn.Parameter(torch.ones(1))]},
                                    {"params": [torch.nn.Parameter(torch.ones(1))]}])),
        (lambda: dagrad.optim.LBFGS([q], lr=-1), lambda: torch.optim.LBFGS(
            [torch.nn.Parameter(torch.ones(1))], lr=-1)),
    ]:
        assert _err(ours) == _err(theirs)
    bad = dagrad.optim.LBFGS([q], line_search_fn="armijo")

    def c2():
        bad.zero_grad()
        loss = (q * 3).sum()
        loss.backward()
        return loss
    with pytest.raises(RuntimeError, match="only 'strong_wolfe' is supported"):
        bad.step(c2)


@pytest.mark.parametrize("name", ["Adadelta", "Adamax", "LBFGS"])
def test_repr_matches_torch(name: str) -> None:
    p, tp = nn.Parameter(dagrad.ones(2)), torch.nn.Parameter(torch.ones(2))
    assert repr(getattr(dagrad.optim, name)([p], lr=0.1)) == \
        repr(getattr(torch.optim, name)([tp], lr=0.1))


def test_optimizer_errors_match_torch() -> None:
    def cases(lib):
        p = lib.nn.Parameter(lib.ones(2))
        return [
            lambda: lib.optim.Adadelta([p], lr=-1.0), lambda: lib.optim.Adadelta([p], rho=1.5),
            lambda: lib.optim.Adadelta([p], eps=-1.0),
            lambda: lib.optim.Adadelta([p], weight_decay=-1.0),
            lambda: lib.optim.Adamax([p], betas=(1.0, 0.9)),
            lambda: lib.optim.Adamax([p], betas=(0.9, -0.1)),
            lambda: lib.optim.Adamax([p], eps=-1.0), lambda: lib.optim.Adamax([p], lr=-0.1),
        ]
    for ours, theirs in zip(cases(dagrad), cases(torch), strict=True):
        assert _err(ours) == _err(theirs)


# --------------------------------------------------------------------------- schedulers


def _schedule(lib, make, steps: int = 100, groups: int = 2, opt_name: str = "SGD",
              metrics=None) -> list:
    params = [lib.nn.Parameter(lib.ones(1)) for _ in range(groups)]
    kw = dict(momentum=0.9) if opt_name == "SGD" else {}
    opt = getattr(lib.optim, opt_name)([{"params": [p], "lr": 0.1 * (i + 1)}
                                        for i, p in enumerate(params)], lr=0.1, **kw)
    sched = make(lib.optim.lr_scheduler, opt)
    key = "momentum" if opt_name == "SGD" else "betas"
    rows = [list(sched.get_last_lr()) + [g[key] for g in opt.param_groups]]
    for i in range(steps):
        opt.step()
        if metrics is None:
            sched.step()
        else:
            sched.step(metrics[i])
        rows.append(list(sched.get_last_lr()) + [g[key] for g in opt.param_groups])
    return rows


def _flatten(rows: list) -> np.ndarray:
    out = []
    for row in rows:
        vals = []
        for v in row:
            vals.extend(v if isinstance(v, tuple) else [v])
        out.append(vals)
    return np.array(out, dtype=np.float64)


SCHEDULERS = [
    ("ConstantLR", lambda m, o: m.ConstantLR(o, factor=0.4, total_iters=7), "SGD"),
    ("LinearLR", lambda m, o: m.LinearLR(o, start_factor=0.1, end_factor=0.9, total_iters=30),
     "SGD"),
    ("PolynomialLR", lambda m, o: m.PolynomialLR(o, total_iters=40, power=2.0), "SGD"),
    ("CyclicLR-triangular", lambda m, o: m.CyclicLR(o, 0.01, 0.1, step_size_up=7), "SGD"),
    ("CyclicLR-triangular2", lambda m, o: m.CyclicLR(o, [0.01, 0.02], [0.1, 0.3], 5, 9,
                                                     mode="triangular2"), "SGD"),
    ("CyclicLR-exp_range-adam", lambda m, o: m.CyclicLR(o, 0.001, 0.01, 6, mode="exp_range",
                                                        gamma=0.97), "Adam"),
    ("CyclicLR-scale_fn", lambda m, o: m.CyclicLR(o, 0.01, 0.1, 4, scale_fn=lambda x: 0.9 ** x,
                                                  scale_mode="iterations",
                                                  cycle_momentum=False), "SGD"),
    ("OneCycleLR-cos", lambda m, o: m.OneCycleLR(o, max_lr=1.0, total_steps=100), "SGD"),
    ("OneCycleLR-linear-three_phase-adam", lambda m, o: m.OneCycleLR(
        o, max_lr=[0.5, 1.0], epochs=10, steps_per_epoch=10, pct_start=0.25,
        anneal_strategy="linear", three_phase=True, div_factor=10.0), "Adam"),
    ("SequentialLR", lambda m, o: m.SequentialLR(o, [m.LinearLR(o, 0.2, total_iters=10),
                                                     m.ExponentialLR(o, 0.95),
                                                     m.StepLR(o, 5, 0.5)],
                                                 milestones=[10, 40]), "SGD"),
    ("ChainedScheduler", lambda m, o: m.ChainedScheduler([m.ConstantLR(o, 0.5, 4),
                                                          m.ExponentialLR(o, 0.97)]), "SGD"),
]


@pytest.mark.parametrize("case", SCHEDULERS, ids=lambda c: c[0])
def test_scheduler_matches_torch(case) -> None:
    _, make, opt_name = case
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = _schedule(dagrad, make, opt_name=opt_name)
        theirs = _schedule(torch, make, opt_name=opt_name)
    np.testing.assert_allclose(_flatten(ours), _flatten(theirs), rtol=1e-10, atol=1e-15)


REDUCE = [
    dict(), dict(mode="max", factor=0.5, patience=2, threshold=0.01, cooldown=3),
    dict(threshold_mode="abs", threshold=0.05, patience=1, min_lr=[0.01, 0.05]),
    dict(mode="max", threshold_mode="abs", patience=0, eps=0.02, min_lr=0.005),
]


@pytest.mark.parametrize("kwargs", REDUCE, ids=lambda k: "-".join(map(str, k.items())) or "default")
def test_reduce_lr_on_plateau_matches_torch(kwargs: dict) -> None:
    r = np.random.default_rng(3)
    metrics = list(np.cumsum(r.standard_normal(100) * 0.1) + np.sin(np.arange(100) / 5))
    make = lambda m, o: m.ReduceLROnPlateau(o, **kwargs)     # noqa: E731
    ours = _schedule(dagrad, make, metrics=metrics)
    theirs = _schedule(torch, make, metrics=[torch.tensor(v) for v in metrics])
    np.testing.assert_allclose(_flatten(ours), _flatten(theirs), rtol=1e-12)
    opt = dagrad.optim.SGD([nn.Parameter(dagrad.ones(1))], lr=1.0)
    s = dagrad.optim.lr_scheduler.ReduceLROnPlateau(opt, **{k: v for k, v in kwargs.items()
                                                            if k != "min_lr"})
    for m in metrics[:30]:
        s.step(m)
    state = s.state_dict()
    s2 = dagrad.optim.lr_scheduler.ReduceLROnPlateau(opt)
    s2.load_state_dict(state)
    assert (s2.best, s2.num_bad_epochs, s2.mode) == (s.best, s.num_bad_epochs, s.mode)


def test_linear_lr_closed_form_and_state_dict() -> None:
    def run(lib):
        opt = lib.optim.SGD([lib.nn.Parameter(lib.ones(1))], lr=0.1)
        sched = lib.optim.lr_scheduler.LinearLR(opt, start_factor=0.25, total_iters=8)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            opt.step()
            sched.step(5)
        state = {k: v for k, v in sched.state_dict().items() if not k.startswith("_")}
        return sched.get_last_lr(), [str(c.message) for c in w], sorted(state)
    ours, theirs = run(dagrad), run(torch)
    assert ours[0] == pytest.approx(theirs[0], rel=1e-13)
    assert ours[1] == theirs[1] and ours[2] == theirs[2]


def test_sequential_state_dict_round_trip() -> None:
    def build(lib, o):
        m = lib.optim.lr_scheduler
        return m.SequentialLR(o, [m.ConstantLR(o, 0.5, 3), m.ExponentialLR(o, 0.9)], [3])
    opt = dagrad.optim.SGD([nn.Parameter(dagrad.ones(1))], lr=1.0)
    s = build(dagrad, opt)
    for _ in range(5):
        opt.step()
        s.step()
    state = s.state_dict()
    assert len(state["_schedulers"]) == 2 and "optimizer" not in state
    opt2 = dagrad.optim.SGD([nn.Parameter(dagrad.ones(1))], lr=1.0)
    s2 = build(dagrad, opt2)
    s2.load_state_dict(state)
    assert s2.last_epoch == s.last_epoch and s2._schedulers[1].last_epoch == \
        s._schedulers[1].last_epoch


def test_scheduler_errors_match_torch() -> None:
    def cases(lib):
        m = lib.optim.lr_scheduler
        opt = lib.optim.SGD([lib.nn.Parameter(lib.ones(1))], lr=0.1)
        adagrad = lib.optim.Adagrad([lib.nn.Parameter(lib.ones(1))], lr=0.1)
        return [
            lambda: m.ConstantLR(opt, factor=2.0), lambda: m.LinearLR(opt, start_factor=0),
            lambda: m.LinearLR(opt, end_factor=1.5), lambda: m.ReduceLROnPlateau(opt, factor=1),
            lambda: m.ReduceLROnPlateau(opt, mode="avg"),
            lambda: m.ReduceLROnPlateau(opt, threshold_mode="pct"),
            lambda: m.ReduceLROnPlateau(opt, min_lr=[0.1, 0.2]),
            lambda: m.ReduceLROnPlateau(3),
            lambda: m.CyclicLR(opt, 0.1, 1.0, mode="cosine"),
            lambda: m.CyclicLR(adagrad, 0.1, 1.0),
            lambda: m.CyclicLR(opt, [0.1, 0.2], 1.0),
            lambda: m.OneCycleLR(opt, 1.0), lambda: m.OneCycleLR(opt, 1.0, total_steps=0),
            lambda: m.OneCycleLR(opt, 1.0, epochs=0, steps_per_epoch=3),
            lambda: m.OneCycleLR(opt, 1.0, total_steps=10, pct_start=1),
            lambda: m.OneCycleLR(opt, 1.0, total_steps=10, anneal_strategy="exp"),
            lambda: m.OneCycleLR(adagrad, 1.0, total_steps=10),
            lambda: m.SequentialLR(opt, [], []),
            lambda: m.SequentialLR(opt, [m.StepLR(opt, 2)], [3]),
            lambda: m.SequentialLR(opt, [m.ReduceLROnPlateau(opt)], []),
            lambda: m.ChainedScheduler([]),
        ]
    for ours, theirs in zip(cases(dagrad), cases(torch), strict=True):
        assert _err(ours) == _err(theirs)
    opt = dagrad.optim.SGD([nn.Parameter(dagrad.ones(1))], lr=0.1)
    sched = dagrad.optim.lr_scheduler.OneCycleLR(opt, 1.0, total_steps=3)
    for _ in range(3):
        opt.step()
        sched.step()
    with pytest.raises(ValueError, match="Tried to step 4 times. The specified number of total "
                                         "steps is 3"):
        sched.step()


def test_one_cycle_starts_at_max_over_div_factor() -> None:
    opt = dagrad.optim.Adam([nn.Parameter(dagrad.ones(1))], lr=0.5)
    sched = dagrad.optim.lr_scheduler.OneCycleLR(opt, max_lr=2.0, total_steps=20,
                                                 div_factor=20.0)
    assert sched.get_last_lr() == [pytest.approx(0.1)]
    assert opt.param_groups[0]["betas"][0] == 0.95
    assert math.isclose(opt.param_groups[0]["min_lr"], 0.1 / 1e4)


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta",
                                  "Adamax"])
def test_setstate_fills_the_group_settings_an_older_state_lacks(name: str) -> None:
    # an optimizer pickled by an older version has groups without the newer flags
    def restored(lib):
        opt = getattr(lib.optim, name)([lib.zeros(2, requires_grad=True)], lr=0.1)
        state = opt.__getstate__()
        group = state["param_groups"][0]
        for k in ("maximize", "foreach", "differentiable", "capturable", "fused", "nesterov",
                  "amsgrad", "decoupled_weight_decay", "centered", "momentum"):
            group.pop(k, None)
        new = type(opt).__new__(type(opt))
        new.__setstate__(state)
        return {k: v for k, v in new.param_groups[0].items() if k != "params"}
    ours = restored(dagrad)
    assert ours["maximize"] is False and ours["foreach"] is None
    assert ours.get("decoupled_weight_decay") is (True if name == "AdamW" else
                                                  False if name == "Adam" else None)
    tt = pytest.importorskip("torch")
    theirs = restored(tt)
    assert {k: ours.get(k) for k in theirs} == theirs
