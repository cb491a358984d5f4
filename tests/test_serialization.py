"""dagrad.save / dagrad.load: exact round trips, no code execution, clear errors."""
from __future__ import annotations

import io
import os
import pickle
import struct
import zipfile
from collections import OrderedDict

import numpy as np
import pytest

import dagrad as torch
from dagrad.serialization import LoadError


def test_round_trip_of_nested_state_is_exact(tmp_path) -> None:
    torch.manual_seed(0)
    state = {
        "model": OrderedDict([("w", torch.randn(3, 4)), ("b", torch.zeros(4, dtype=torch.float64)),
                              ("steps", torch.tensor(7)), ("mask", torch.tensor([True, False]))]),
        "optim": {"state": {0: {"momentum_buffer": torch.ones(2)}}, "param_groups": [
            {"lr": 0.1, "momentum": 0.9, "nesterov": False, "params": [0], "foreach": None}]},
        "epoch": 3, "name": "run", "nan": float("nan"), "pair": (1, 2.5),
        "c": torch.tensor([1 + 2j]), "half": torch.tensor([1.5], dtype=torch.float16),
    }
    path = tmp_path / "ckpt.safetensors"
    torch.save(state, path)
    back = torch.load(path)
    assert isinstance(back["model"], OrderedDict) and list(back["model"]) == ["w", "b", "steps",
                                                                             "mask"]
    for k, v in state["model"].items():
        assert back["model"][k].dtype == v.dtype
        np.testing.assert_array_equal(back["model"][k].numpy(), v.numpy())
    assert back["optim"]["state"][0]["momentum_buffer"].tolist() == [1., 1.]
    assert back["optim"]["param_groups"] == state["optim"]["param_groups"]
    assert back["epoch"] == 3 and back["name"] == "run" and back["pair"] == (1, 2.5)
    assert back["nan"] != back["nan"]
    assert back["c"].tolist() == [1 + 2j] and back["half"].dtype == torch.float16


def test_single_tensor_and_file_objects() -> None:
    t = torch.arange(6.).reshape(2, 3).t()           # non-contiguous
    buf = io.BytesIO()
    torch.save(t, buf)
    buf.seek(0)
    back = torch.load(buf)
    assert back.tolist() == t.tolist()
    x = torch.ones(2, requires_grad=True)
    buf = io.BytesIO()
    torch.save(x, buf)
    buf.seek(0)
    assert torch.load(buf).requires_grad


def test_file_is_plain_safetensors(tmp_path) -> None:
    path = tmp_path / "t.safetensors"
    torch.save({"a": torch.tensor([1., 2.])}, path)
    raw = path.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    import json
    header = json.loads(raw[8:8 + n])
    assert header["t0"] == {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}
    assert np.frombuffer(raw[8 + n:], np.float32).tolist() == [1., 2.]
    st = pytest.importorskip("safetensors.numpy")
    assert st.load_file(str(path))["t0"].tolist() == [1., 2.]


@pytest.mark.parametrize("cut", [3, 10, 40, -1])
def test_truncated_file_raises_clear_error(tmp_path, cut: int) -> None:
    path = tmp_path / "t.safetensors"
    torch.save({"a": torch.ones(100)}, path)
    raw = path.read_bytes()
    path.write_bytes(raw[:cut])
    with pytest.raises(LoadError, match="dagrad.load"):
        torch.load(path)


def test_crafted_offsets_and_references_are_refused(tmp_path) -> None:
    import json
    header = {"t0": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]},
              "__metadata__": {"dagrad": json.dumps({"__tensor__": "t9"})}}
    hb = json.dumps(header).encode()
    path = tmp_path / "bad.safetensors"
    path.write_bytes(struct.pack("<Q", len(hb)) + hb + b"\0" * 16)
    with pytest.raises(LoadError, match="missing tensor 't9'"):
        torch.load(path)
    header = {"t0": {"dtype": "F32", "shape": [4], "data_offsets": [0, 12]}}
    hb = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(hb)) + hb + b"\0" * 16)
    with pytest.raises(LoadError, match="needs 16"):
        torch.load(path)


class _Evil:
    def __reduce__(self):
        return (os.system, ("echo PWNED > /tmp/dagrad_pwned",))


def test_malicious_pickle_in_torch_zip_executes_nothing(tmp_path) -> None:
    marker = "/tmp/dagrad_pwned"
    if os.path.exists(marker):
        os.remove(marker)
    path = tmp_path / "evil.pt"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("archive/data.pkl", pickle.dumps({"x": _Evil(), "p": print}))
    with pytest.raises(pickle.UnpicklingError, match="Unsupported global: GLOBAL"):
        torch.load(path)
    assert not os.path.exists(marker)


def test_raw_pickle_is_not_loaded(tmp_path) -> None:
    path = tmp_path / "evil.pkl"
    path.write_bytes(pickle.dumps(_Evil()))
    with pytest.raises(LoadError):
        torch.load(path)
    assert not os.path.exists("/tmp/dagrad_pwned")


def test_loads_a_pytorch_state_dict(tmp_path) -> None:
    tt = pytest.importorskip("torch")
    lin = tt.nn.Linear(3, 2)
    sd = lin.state_dict()
    sd["nc"] = tt.arange(6.).reshape(2, 3).t()
    path = tmp_path / "torch.pt"
    tt.save(sd, path)
    back = torch.load(path)
    assert list(back) == ["weight", "bias", "nc"]
    np.testing.assert_array_equal(back["weight"].numpy(), lin.weight.detach().numpy())
    np.testing.assert_array_equal(back["nc"].numpy(), sd["nc"].numpy())
