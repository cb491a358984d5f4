"""The README demo and the seed programs in examples/ run and do what they promise."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run(script: str, tmp_path: Path, timeout: int = 300) -> str:
    env = dict(os.environ, DAGRAD_DEMO_OUT=str(tmp_path / "out"), OMP_NUM_THREADS="1",
               OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    out = subprocess.run([sys.executable, str(ROOT / "examples" / script)], capture_output=True,
                         text=True, timeout=timeout, env=env, cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout


def test_demo_trains_the_cnn_to_95_percent_and_writes_pictures(tmp_path: Path) -> None:
    out = run("demo.py", tmp_path)
    acc = float(re.search(r"final test accuracy: ([\d.]+)%", out).group(1))
    assert acc >= 95.0, out
    assert (tmp_path / "out" / "loss.svg").stat().st_size > 1000
    png = (tmp_path / "out" / "saliency.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")


def test_tiny_model_step_changes_weights_and_accumulates(tmp_path: Path) -> None:
    out = run("tiny_model_step.py", tmp_path)
    assert "grad_fn=<SumBackward0>" in out
    assert out.strip().splitlines()[-1].startswith("tensor([0., 0., 0.")


def test_two_layer_autograd_loss_goes_down(tmp_path: Path) -> None:
    out = run("two_layer_autograd.py", tmp_path)
    losses = [float(line.split()[1]) for line in out.strip().splitlines()]
    assert losses[-1] < losses[0] * 1e-3


def test_cam_saliency_hooks(tmp_path: Path) -> None:
    out = run("cam_saliency_hooks.py", tmp_path)
    assert "forward pre-hook on Conv2d input shape (1, 8, 12, 12)" in out
    assert "backward hook on Conv2d grad_output shape (1, 16, 8, 8)" in out
    assert "Grad-CAM" in out and "saliency peak at pixel" in out


@pytest.mark.parametrize("script", ["graphs/seed000_graphs.py"])
def test_graph_examples(tmp_path: Path, script: str) -> None:
    env = dict(os.environ)
    out = subprocess.run([sys.executable, str(ROOT / "examples" / script), str(tmp_path)],
                         capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    assert any(p.suffix == ".dot" for p in tmp_path.rglob("*"))
