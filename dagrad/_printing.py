"""Tensor ``repr`` formatting, a port of PyTorch's ``torch/_tensor_str.py`` (dense CPU case).

The output is character-for-character what PyTorch prints, with ``torch.`` spelled ``dagrad.``::

    >>> tensor_repr(np.array([1.5, 2.0]), suffixes=["requires_grad=True"])
    'tensor([1.5000, 2.0000], dtype=dagrad.float64, requires_grad=True)'
"""
from __future__ import annotations

import contextlib
import dataclasses
import math
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

__all__ = [
    "PRINT_OPTS",
    "get_printoptions",
    "printoptions",
    "set_printoptions",
    "tensor_repr",
]


@dataclasses.dataclass
class _PrintOptions:
    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: bool | None = None


PRINT_OPTS = _PrintOptions()


def set_printoptions(
    precision: int | None = None,
    threshold: float | None = None,
    edgeitems: int | None = None,
    linewidth: int | None = None,
    profile: str | None = None,
    sci_mode: bool | None = None,
) -> None:
    """Set printing options, like ``torch.set_printoptions``.

    ``profile`` is one of ``'default'``, ``'short'``, ``'full'``; explicit options override it.
    As in PyTorch, ``sci_mode`` is always assigned (omitting it resets it to automatic).
    Example: ``set_printoptions(precision=2)`` makes ``tensor([1.12345])`` print ``tensor([1.12])``.
    """
    if profile is not None:
        if profile == "default":
            PRINT_OPTS.precision = 4
            PRINT_OPTS.threshold = 1000
            PRINT_OPTS.edgeitems = 3
            PRINT_OPTS.linewidth = 80
        elif profile == "short":
            PRINT_OPTS.precision = 2
            PRINT_OPTS.threshold = 1000
            PRINT_OPTS.edgeitems = 2
            PRINT_OPTS.linewidth = 80
        elif profile == "full":
            PRINT_OPTS.precision = 4
            PRINT_OPTS.threshold = math.inf
            PRINT_OPTS.edgeitems = 3
            PRINT_OPTS.linewidth = 80

    if precision is not None:
        PRINT_OPTS.precision = precision
    if threshold is not None:
        PRINT_OPTS.threshold = threshold
    if edgeitems is not None:
        PRINT_OPTS.edgeitems = edgeitems
    if linewidth is not None:
        PRINT_OPTS.linewidth = linewidth
    PRINT_OPTS.sci_mode = sci_mode


def get_printoptions() -> dict[str, Any]:
    """Current print options as a dict usable as ``set_printoptions(**opts)``."""
    return dataclasses.asdict(PRINT_OPTS)


@contextlib.contextmanager
def printoptions(**kwargs: Any) -> Iterator[None]:
    """Temporarily change print options: ``with printoptions(precision=2): ...``."""
    old_kwargs = get_printoptions()
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        set_printoptions(**old_kwargs)


# Printable NumPy dtype names; PyTorch spells each of these dtypes the same way.
_DTYPE_NAMES = frozenset(
    [
        "bool",
        "int8",
        "int16",
        "int32",
        "int64",
        "uint8",
        "uint16",
        "uint32",
        "uint64",
        "float16",
        "float32",
        "float64",
        "complex64",
        "complex128",
    ]
)


def _dtype_name(dt: np.dtype) -> str:
    name = np.dtype(dt).name
    if name not in _DTYPE_NAMES:
        raise TypeError(f"cannot print a tensor of NumPy dtype {dt!r}")
    return name


class _Formatter:
    """Chooses int/fixed/scientific mode and the column width for a set of values."""

    def __init__(self, values: np.ndarray) -> None:
        self.floating_dtype = values.dtype.kind == "f"
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1

        flat = values.reshape(-1)

        if not self.floating_dtype:
            for value in flat.tolist():
                self.max_width = max(self.max_width, len(f"{value}"))
            return

        nonzero_finite = flat[np.isfinite(flat) & (flat != 0)]
        if nonzero_finite.size == 0:
            # no valid number, do nothing
            return

        # PyTorch converts to double for these statistics (half overflows with 1e8).
        nonzero_finite_abs = np.abs(nonzero_finite).astype(np.float64)
        nonzero_finite_min = float(nonzero_finite_abs.min())
        nonzero_finite_max = float(nonzero_finite_abs.max())

        # Compared in the tensor's own dtype, exactly as `value != torch.ceil(value)`.
        if np.any(nonzero_finite != np.ceil(nonzero_finite)):
            self.int_mode = False

        if PRINT_OPTS.sci_mode is None:
            self.sci_mode = (
                nonzero_finite_max / nonzero_finite_min > 1000.0
                or nonzero_finite_max > 1.0e8
                or nonzero_finite_min < 1.0e-4
            )
        else:
            self.sci_mode = PRINT_OPTS.sci_mode

        precision = PRINT_OPTS.precision
        vals = nonzero_finite.tolist()
        if self.sci_mode:
            fmt = f"{{:.{precision}e}}"
            width = max(len(fmt.format(v)) for v in vals)
        elif self.int_mode:
            # Integral floats get a trailing "." to show the tensor is floating: one extra column.
            width = max(len(f"{v:.0f}") for v in vals) + 1
        else:
            fmt = f"{{:.{precision}f}}"
            width = max(len(fmt.format(v)) for v in vals)
        self.max_width = max(self.max_width, width)

    def width(self) -> int:
        return self.max_width

    def format(self, value: Any) -> str:
        if self.floating_dtype:
            if self.sci_mode:
                ret = f"{{:{self.max_width}.{PRINT_OPTS.precision}e}}".format(value)
            elif self.int_mode:
                ret = f"{value:.0f}"
                if not (math.isinf(value) or math.isnan(value)):
                    ret += "."
            else:
                ret = f"{{:.{PRINT_OPTS.precision}f}}".format(value)
        else:
            ret = f"{value}"
        return (self.max_width - len(ret)) * " " + ret


def _val_str(value: Any, formatter1: _Formatter, formatter2: _Formatter | None) -> str:
    if formatter2 is None:
        return formatter1.format(value)
    real_str = formatter1.format(value.real)
    imag_str = (formatter2.format(value.imag) + "j").lstrip()
    # handles negative numbers, +0.0, -0.0
    if imag_str[0] == "+" or imag_str[0] == "-":
        return real_str + imag_str
    return real_str + "+" + imag_str


def _vector_str(
    arr: np.ndarray,
    indent: int,
    summarize: bool,
    formatter1: _Formatter,
    formatter2: _Formatter | None,
) -> str:
    # length includes spaces and comma between elements
    element_length = formatter1.width() + 2
    if formatter2 is not None:
        # width for imag_formatter + an extra j for complex
        element_length += formatter2.width() + 1

    elements_per_line = max(1, math.floor((PRINT_OPTS.linewidth - indent) / element_length))

    edgeitems = PRINT_OPTS.edgeitems
    if summarize and not edgeitems:
        data = ["..."]
    elif summarize and arr.shape[0] > 2 * edgeitems:
        data = (
            [_val_str(v, formatter1, formatter2) for v in arr[:edgeitems].tolist()]
            + [" ..."]
            + [_val_str(v, formatter1, formatter2) for v in arr[-edgeitems:].tolist()]
        )
    else:
        data = [_val_str(v, formatter1, formatter2) for v in arr.tolist()]

    lines = [
        ", ".join(data[i : i + elements_per_line]) for i in range(0, len(data), elements_per_line)
    ]
    return "[" + ("," + "\n" + " " * (indent + 1)).join(lines) + "]"


def _tensor_str_with_formatter(
    arr: np.ndarray,
    indent: int,
    summarize: bool,
    formatter1: _Formatter,
    formatter2: _Formatter | None = None,
) -> str:
    dim = arr.ndim

    if dim == 0:
        return _val_str(arr.item(), formatter1, formatter2)

    if dim == 1:
        return _vector_str(arr, indent, summarize, formatter1, formatter2)

    edgeitems = PRINT_OPTS.edgeitems
    size = arr.shape[0]
    if summarize and size > 2 * edgeitems:
        slices = (
            [
                _tensor_str_with_formatter(arr[i], indent + 1, summarize, formatter1, formatter2)
                for i in range(edgeitems)
            ]
            + ["..."]
            + [
                _tensor_str_with_formatter(arr[i], indent + 1, summarize, formatter1, formatter2)
                for i in range(size - edgeitems, size)
            ]
        )
    else:
        slices = [
            _tensor_str_with_formatter(arr[i], indent + 1, summarize, formatter1, formatter2)
            for i in range(size)
        ]

    tensor_str = ("," + "\n" * (dim - 1) + " " * (indent + 1)).join(slices)
    return "[" + tensor_str + "]"


def _get_summarized_data(arr: np.ndarray) -> np.ndarray:
    """The values that will actually be displayed; the formatter is fitted to these."""
    dim = arr.ndim
    edgeitems = PRINT_OPTS.edgeitems
    if dim == 0:
        return arr
    if dim == 1:
        if arr.shape[0] > 2 * edgeitems:
            return np.concatenate((arr[:edgeitems], arr[-edgeitems:]))
        return arr
    if not edgeitems:
        return np.empty([0] * dim, dtype=arr.dtype)
    size = arr.shape[0]
    if size > 2 * edgeitems:
        rows = [arr[i] for i in range(edgeitems)] + [arr[i] for i in range(size - edgeitems, size)]
        return np.stack([_get_summarized_data(x) for x in rows])
    return np.stack([_get_summarized_data(x) for x in arr])


def _tensor_str(arr: np.ndarray, indent: int) -> str:
    if arr.size == 0:
        return "[]"

    summarize = arr.size > PRINT_OPTS.threshold

    if arr.dtype.kind == "c":
        real, imag = arr.real, arr.imag
        real_formatter = _Formatter(_get_summarized_data(real) if summarize else real)
        imag_formatter = _Formatter(_get_summarized_data(imag) if summarize else imag)
        return _tensor_str_with_formatter(arr, indent, summarize, real_formatter, imag_formatter)
    formatter = _Formatter(_get_summarized_data(arr) if summarize else arr)
    return _tensor_str_with_formatter(arr, indent, summarize, formatter)


def _add_suffixes(
    tensor_str: str, suffixes: Sequence[str], indent: int, force_newline: bool
) -> str:
    tensor_strs = [tensor_str]
    # Kept verbatim from PyTorch, including its "+ 1" (which makes wrapping slightly eager).
    last_line_len = len(tensor_str) - tensor_str.rfind("\n") + 1
    for suffix in suffixes:
        suffix_len = len(suffix)
        if force_newline or last_line_len + suffix_len + 2 > PRINT_OPTS.linewidth:
            tensor_strs.append(",\n" + " " * indent + suffix)
            last_line_len = indent + suffix_len
            force_newline = False
        else:
            tensor_strs.append(", " + suffix)
            last_line_len += suffix_len + 2
    tensor_strs.append(")")
    return "".join(tensor_strs)


def tensor_repr(
    data: np.ndarray,
    *,
    suffixes: Sequence[str] = (),
    module: str = "dagrad",
    default_dtype: np.dtype = np.dtype(np.float32),
    prefix: str = "tensor(",
) -> str:
    """The full repr of a tensor holding ``data``, exactly as PyTorch formats it.

    Adds the ``size=`` and ``dtype=`` suffixes PyTorch would add, then ``suffixes`` verbatim.
    Example: ``tensor_repr(np.array([1.0, 2.0]), suffixes=["requires_grad=True"])`` gives
    ``'tensor([1., 2.], dtype=dagrad.float64, requires_grad=True)'``.
    """
    arr = np.asarray(data)
    name = _dtype_name(arr.dtype)
    default_name = _dtype_name(np.dtype(default_dtype))
    default_complex_name = "complex128" if default_name == "float64" else "complex64"
    has_default_dtype = name in (default_name, default_complex_name, "int64", "bool")

    indent = len(prefix)
    all_suffixes: list[str] = []
    if arr.size == 0:
        # Explicitly print the shape if it is not (0,), to match NumPy behavior
        if arr.ndim != 1:
            all_suffixes.append("size=" + str(tuple(arr.shape)))
        # In an empty tensor there are no elements to infer the dtype from, so show it.
        if name != default_name:
            all_suffixes.append(f"dtype={module}.{name}")
        tensor_str = "[]"
    else:
        if not PRINT_OPTS.edgeitems:
            all_suffixes.append("size=" + str(tuple(arr.shape)))
        if not has_default_dtype:
            all_suffixes.append(f"dtype={module}.{name}")
        tensor_str = _tensor_str(arr, indent)

    all_suffixes.extend(suffixes)
    return _add_suffixes(prefix + tensor_str, all_suffixes, indent, force_newline=False)
