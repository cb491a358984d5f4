"""``dagrad.save`` / ``dagrad.load``: tensors, state_dicts and optimizer state, without pickle.

Note [File format]
A dagrad file is a safetensors file (https://github.com/huggingface/safetensors): an 8-byte
little-endian header length, a JSON header naming each tensor's dtype, shape and byte range, then
the raw bytes. Anything that is not a tensor (dicts, lists, numbers, strings — the structure of a
state_dict or an optimizer's state) is written as JSON in the header's ``__metadata__`` under
``"dagrad"``, with references to the tensors by name. Loading parses JSON and copies bytes: it
cannot run code. The whole file is validated (sizes, offsets, dtypes, references) before any
tensor is built, so a truncated or crafted file raises a clear error and nothing is half-loaded.
The tensors can be read by any safetensors reader.

``load`` also reads PyTorch's own ``torch.save`` zip files through an allow-list unpickler that
knows only how to rebuild tensors, storages and ordered dicts (what ``weights_only=True`` allows).
"""
from __future__ import annotations

import io
import json
import os
import pickle
import struct
import zipfile
from collections import OrderedDict
from typing import Any, BinaryIO

import numpy as np

from dagrad._tensor import Tensor

_DTYPES = {"F16": np.float16, "F32": np.float32, "F64": np.float64, "I8": np.int8,
           "I16": np.int16, "I32": np.int32, "I64": np.int64, "U8": np.uint8, "BOOL": np.bool_,
           "C64": np.complex64, "C128": np.complex128}
_CODES = {np.dtype(v): k for k, v in _DTYPES.items()}
_MAX_HEADER = 100 * 1024 * 1024


class LoadError(RuntimeError):
    """A file that is not a valid dagrad/safetensors/PyTorch file, or was cut short."""


# --------------------------------------------------------------------------- save
def save(obj: Any, f: str | os.PathLike | BinaryIO, pickle_module: Any = None,
         pickle_protocol: int = 2, _use_new_zipfile_serialization: bool = True) -> None:
    """Write ``obj`` (a tensor, or nested dicts/lists/tuples of tensors, numbers and strings).

    Example:
        >>> dagrad.save(model.state_dict(), "model.safetensors")
        >>> model.load_state_dict(dagrad.load("model.safetensors"))
    """
    tensors: list[np.ndarray] = []
    structure = _encode(obj, tensors)
    header: dict[str, Any] = {}
    offset = 0
    chunks = []
    for i, arr in enumerate(tensors):
        data = np.ascontiguousarray(arr).tobytes()
        header[f"t{i}"] = {"dtype": _CODES[arr.dtype], "shape": list(arr.shape),
                           "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    header["__metadata__"] = {"format": "dagrad", "dagrad": json.dumps(structure)}
    hb = json.dumps(header, separators=(",", ":")).encode()
    hb += b" " * (-len(hb) % 8)
    payload = struct.pack("<Q", len(hb)) + hb + b"".join(chunks)
    if hasattr(f, "write"):
        f.write(payload)
    else:
        with open(f, "wb") as fh:
            fh.write(payload)


def _encode(obj: Any, tensors: list) -> Any:
    if isinstance(obj, Tensor):
        tensors.append(obj._data)
        out = {"__tensor__": f"t{len(tensors) - 1}"}
        if obj.requires_grad:
            out["requires_grad"] = True
        if type(obj).__name__ == "Parameter":
            out["parameter"] = True
        return out
    if obj is None or isinstance(obj, (bool, int, str)):
        return obj
    if isinstance(obj, float):
        if obj != obj or obj in (float("inf"), float("-inf")):
            return {"__float__": repr(obj)}
        return obj
    if isinstance(obj, (list, tuple)):
        return {"__list__" if isinstance(obj, list) else "__tuple__":
                [_encode(v, tensors) for v in obj]}
    if isinstance(obj, dict):
        kind = "__odict__" if isinstance(obj, OrderedDict) else "__dict__"
        return {kind: [[_encode(k, tensors), _encode(v, tensors)] for k, v in obj.items()]}
    if hasattr(obj, "name") and type(obj).__name__ == "dtype":
        return {"__dtype__": obj.name}
    raise TypeError(f"dagrad.save cannot store objects of type {type(obj).__name__}: only "
                    "tensors, dicts, lists, tuples, numbers, strings, None and dtypes")


# --------------------------------------------------------------------------- load
def load(f: str | os.PathLike | BinaryIO, map_location: Any = None, pickle_module: Any = None,
         *, weights_only: bool = True, mmap: Any = None, **_: Any) -> Any:
    """Read what ``save`` wrote (or a PyTorch ``torch.save`` file of tensors/state_dicts)."""
    if hasattr(f, "read"):
        raw = f.read()
    else:
        with open(f, "rb") as fh:
            raw = fh.read()
    if raw[:4] == b"PK\x03\x04":
        return _load_torch_zip(raw)
    return _load_safetensors(raw)


def _load_safetensors(raw: bytes) -> Any:
    if len(raw) < 8:
        raise LoadError("dagrad.load: the file is too short to hold a header (truncated?)")
    (n,) = struct.unpack("<Q", raw[:8])
    if n > _MAX_HEADER or 8 + n > len(raw):
        raise LoadError(f"dagrad.load: the header claims {n} bytes but the file has "
                        f"{len(raw) - 8} after the length field (truncated or not a dagrad file)")
    try:
        header = json.loads(raw[8:8 + n].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise LoadError(f"dagrad.load: the header is not valid JSON ({e})") from None
    if not isinstance(header, dict):
        raise LoadError("dagrad.load: the header is not a JSON object")
    body = memoryview(raw)[8 + n:]
    meta = header.pop("__metadata__", None) or {}
    arrays: dict[str, np.ndarray] = {}
    spans = []
    for name, info in header.items():
        try:
            dt = np.dtype(_DTYPES[info["dtype"]])
            shape = tuple(int(s) for s in info["shape"])
            begin, end = (int(x) for x in info["data_offsets"])
        except (KeyError, TypeError, ValueError):
            raise LoadError(f"dagrad.load: bad entry for tensor '{name}' in the header") from None
        if any(s < 0 for s in shape) or not 0 <= begin <= end <= len(body):
            raise LoadError(f"dagrad.load: tensor '{name}' lies outside the file (bytes "
                            f"{begin}..{end} of {len(body)}; truncated?)")
        count = int(np.prod(shape, dtype=np.int64)) if shape else 1
        if (end - begin) != count * dt.itemsize:
            raise LoadError(f"dagrad.load: tensor '{name}' has {end - begin} bytes but shape "
                            f"{list(shape)} of {info['dtype']} needs {count * dt.itemsize}")
        spans.append((begin, end, name))
        arrays[name] = (dt, shape, begin, end)
    spans.sort()
    for (b0, e0, n0), (b1, _, n1) in zip(spans, spans[1:]):
        if b1 < e0:
            raise LoadError(f"dagrad.load: tensors '{n0}' and '{n1}' overlap")
    structure_text = meta.get("dagrad") if isinstance(meta, dict) else None
    if structure_text is None:
        structure = {"__dict__": [[k, {"__tensor__": k}] for k in arrays]}
    else:
        try:
            structure = json.loads(structure_text)
        except json.JSONDecodeError as e:
            raise LoadError(f"dagrad.load: the structure metadata is not valid JSON ({e})") \
                from None
    _check_refs(structure, arrays)
    built = {k: np.frombuffer(body[b:e], dtype=dt).reshape(shape).copy()
             for k, (dt, shape, b, e) in arrays.items()}
    return _decode(structure, built)


def _check_refs(node: Any, arrays: dict) -> None:
    stack = [node]
    while stack:
        x = stack.pop()
        if isinstance(x, dict):
            if "__tensor__" in x and x["__tensor__"] not in arrays:
                raise LoadError(f"dagrad.load: the structure refers to a missing tensor "
                                f"'{x['__tensor__']}'")
            stack.extend(x.values())
        elif isinstance(x, list):
            stack.extend(x)


def _decode(x: Any, built: dict) -> Any:
    if not isinstance(x, dict):
        if isinstance(x, list):
            raise LoadError("dagrad.load: malformed structure (bare list)")
        return x
    if "__tensor__" in x:
        arr = built[x["__tensor__"]]
        if x.get("parameter"):
            from dagrad.nn.parameter import Parameter
            return Parameter(Tensor._make(arr), requires_grad=bool(x.get("requires_grad", True)))
        t = Tensor._make(arr)
        t._rg = bool(x.get("requires_grad", False)) and arr.dtype.kind in "fc"
        return t
    if "__float__" in x:
        return float(x["__float__"])
    if "__dtype__" in x:
        from dagrad import _dtypes
        return _dtypes.as_dtype(x["__dtype__"])
    if "__list__" in x:
        return [_decode(v, built) for v in x["__list__"]]
    if "__tuple__" in x:
        return tuple(_decode(v, built) for v in x["__tuple__"])
    if "__odict__" in x or "__dict__" in x:
        cls = OrderedDict if "__odict__" in x else dict
        items = x.get("__odict__", x.get("__dict__"))
        return cls((_hashable(_decode(k, built)), _decode(v, built)) for k, v in items)
    raise LoadError(f"dagrad.load: malformed structure entry with keys {sorted(x)}")


def _hashable(k: Any) -> Any:
    return tuple(k) if isinstance(k, list) else k


# --------------------------------------------------------------------------- torch.save files
_TORCH_STORAGES = {
    "FloatStorage": np.float32, "DoubleStorage": np.float64, "HalfStorage": np.float16,
    "LongStorage": np.int64, "IntStorage": np.int32, "ShortStorage": np.int16,
    "CharStorage": np.int8, "ByteStorage": np.uint8, "BoolStorage": np.bool_,
    "ComplexFloatStorage": np.complex64, "ComplexDoubleStorage": np.complex128,
}


class _StorageType:
    def __init__(self, dtype: Any) -> None:
        self.dtype = np.dtype(dtype)


class _TorchDtype:
    def __init__(self, name: str) -> None:
        self.np = np.dtype({"float32": np.float32, "float64": np.float64, "float16": np.float16,
                            "int64": np.int64, "int32": np.int32, "int16": np.int16,
                            "int8": np.int8, "uint8": np.uint8, "bool": np.bool_,
                            "complex64": np.complex64, "complex128": np.complex128}[name])


def _rebuild_tensor_v2(storage: np.ndarray, storage_offset: int, size: tuple, stride: tuple,
                       requires_grad: bool = False, backward_hooks: Any = None,
                       metadata: Any = None) -> Tensor:
    item = storage.itemsize
    need = storage_offset + sum((s - 1) * st for s, st in zip(size, stride, strict=True)) + 1 \
        if all(s > 0 for s in size) else 0
    if need > storage.size:
        raise LoadError("dagrad.load: a tensor in the PyTorch file reaches past its storage")
    view = np.lib.stride_tricks.as_strided(storage[storage_offset:], shape=tuple(size),
                                           strides=tuple(s * item for s in stride))
    t = Tensor._make(np.array(view, copy=True))
    t._rg = bool(requires_grad) and t._data.dtype.kind in "fc"
    return t


def _rebuild_parameter(data: Tensor, requires_grad: bool, backward_hooks: Any) -> Any:
    from dagrad.nn.parameter import Parameter
    return Parameter(data, requires_grad=requires_grad)


class _AllowListUnpickler(pickle.Unpickler):
    """Rebuilds tensors, storages and (ordered) dicts; refuses every other global."""

    def __init__(self, data: bytes, zf: zipfile.ZipFile, prefix: str) -> None:
        super().__init__(io.BytesIO(data))
        self.zf = zf
        self.prefix = prefix

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) == ("collections", "OrderedDict"):
            return OrderedDict
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return _rebuild_tensor_v2
        if (module, name) == ("torch._utils", "_rebuild_parameter"):
            return _rebuild_parameter
        if module == "torch" and name in _TORCH_STORAGES:
            return _StorageType(_TORCH_STORAGES[name])
        if module == "torch" and name in ("float32", "float64", "float16", "int64", "int32",
                                          "int16", "int8", "uint8", "bool", "complex64",
                                          "complex128"):
            return _TorchDtype(name)
        if (module, name) == ("torch", "Size"):
            return tuple
        raise pickle.UnpicklingError(
            "Weights only load failed. In PyTorch 2.6, we changed the default value of the "
            "`weights_only` argument in `torch.load` from `False` to `True`. dagrad never runs "
            f"code from a file. Unsupported global: GLOBAL {module}.{name} was not an allowed "
            "global by default.")

    def persistent_load(self, pid: Any) -> Any:
        if not isinstance(pid, tuple) or len(pid) < 5 or pid[0] != "storage":
            raise pickle.UnpicklingError(f"unsupported persistent id {pid!r}")
        _, stype, key, _location, numel = pid[:5]
        dtype = stype.dtype if isinstance(stype, _StorageType) else np.dtype(np.uint8)
        try:
            data = self.zf.read(f"{self.prefix}data/{key}")
        except KeyError:
            raise LoadError(f"dagrad.load: storage {key} is missing from the PyTorch file") \
                from None
        arr = np.frombuffer(data, dtype=dtype)
        if arr.size < numel:
            raise LoadError(f"dagrad.load: storage {key} is truncated")
        return arr


def _load_torch_zip(raw: bytes) -> Any:
    try:
        zf = zipfile.ZipFile(io.BytesIO(raw))
        names = zf.namelist()
    except zipfile.BadZipFile as e:
        raise LoadError(f"dagrad.load: not a readable zip file ({e})") from None
    pkl = [n for n in names if n.endswith("data.pkl")]
    if not pkl:
        raise LoadError("dagrad.load: zip file without data.pkl (not a torch.save file)")
    prefix = pkl[0][:-len("data.pkl")]
    try:
        return _AllowListUnpickler(zf.read(pkl[0]), zf, prefix).load()
    except (EOFError, zipfile.BadZipFile, struct.error) as e:
        raise LoadError(f"dagrad.load: the PyTorch file is truncated or corrupt ({e})") from None
