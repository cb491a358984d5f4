"""The benchmark suite's correctness, not its speed (bench/ times nothing in tests).

Each benchmark's dagrad case computes what its hand-written NumPy twin computes; the graph-replay
prototype's recordings replay the recorded step bit for bit; the floors of bench/diag_floor.py
compute what they claim. The prototype's check failed unnoticed for a whole stop once (its tape
summed broadcast gradients in NumPy's order after the engine moved to PyTorch's): these tests
keep the tools that issue 8's note quotes from drifting away from the library.
"""
from __future__ import annotations

import numpy as np
import pytest

bench_run = pytest.importorskip("bench.run")          # the repository's bench/ package

from bench import b1_two_layer, b3_mlp, diag_floor, harness, proto_replay  # noqa: E402


@pytest.mark.parametrize("name", sorted(bench_run.MODULES))
def test_each_benchmark_computes_what_its_numpy_twin_computes(name: str) -> None:
    mod = bench_run.MODULES[name]
    cases = {}
    for backend in ("dagrad", "numpy"):
        cases[backend] = mod.make(backend, True)
        cases[backend].setup()
    dagrad_values, numpy_values = cases["dagrad"].check(), cases["numpy"].check()
    assert set(dagrad_values) == set(numpy_values) and dagrad_values
    err, where = harness.compare(dagrad_values, numpy_values)
    assert err <= bench_run.CHECK_RTOL, (where, err)


@pytest.mark.parametrize("name", ["B1", "B2", "B3", "B6"])
def test_the_replay_prototype_replays_its_recordings_bit_for_bit(name: str) -> None:
    _, mod, loss_of, leaves_of = proto_replay.recordings()[name]
    cases, d, leaves, tapes = proto_replay._recorded(mod, loss_of, leaves_of)   # asserts inside
    assert tapes[0] is not None and tapes[0].entries
    assert all(p.grad is None for p in leaves)


def test_b3_floor_is_dagrads_arithmetic_bit_for_bit() -> None:
    floor, dagrad_case = diag_floor.B3Values(), b3_mlp.TorchLikeCase("dagrad")
    floor.setup()
    dagrad_case.setup()
    mine, theirs = floor.check(), dagrad_case.check()
    for k, v in mine.items():
        assert np.array_equal(np.asarray(v), theirs[k].detach().numpy()), k
    hand = b3_mlp.NumpyCase()
    hand.setup()
    # ...which is not what the hand-written float32 NumPy gives (else the floor measures nothing)
    assert not np.array_equal(hand.check()["W0.grad"], mine["W0.grad"])


def test_b1_floor_does_the_steps_accumulation_and_zeroing() -> None:
    floor, hand = diag_floor.B1Semantics(), b1_two_layer.NumpyCase()
    for c in (floor, hand):
        c.setup()
        c.reset()
    loss_f, g1, g2 = floor.step()
    loss_h, _, _ = hand.step()
    assert loss_f == loss_h
    assert not g1.any() and not g2.any()  # zeroed after the update, as .grad.zero_()
    assert np.array_equal(floor.w1, hand.w1) and np.array_equal(floor.w2, hand.w2)
