"""Anomaly detection: ``detect_anomaly()`` / ``set_detect_anomaly()``; the engine then checks each
node's gradients for NaN and raises PyTorch's message naming the node and output index."""
from __future__ import annotations

import warnings
from typing import Any

from dagrad.autograd.grad_mode import STATE, _DecoratorContextManager

_WARNING = ("Anomaly Detection has been enabled. This mode will increase the runtime and should "
            "only be enabled for debugging.")


class detect_anomaly(_DecoratorContextManager):
    """Context manager and decorator that turns anomaly detection on inside its block."""

    def __init__(self, check_nan: bool = True) -> None:
        self.prev = STATE.anomaly
        self.check_nan = check_nan
        warnings.warn(_WARNING, UserWarning, stacklevel=2)

    def __enter__(self) -> None:
        self.prev = STATE.anomaly
        STATE.anomaly = self.check_nan

    def __exit__(self, *exc: object) -> None:
        STATE.anomaly = self.prev

    def clone(self) -> detect_anomaly:
        return self.__class__(self.check_nan)


class set_detect_anomaly:
    """Set anomaly detection on or off (at once, and restored on leaving a ``with`` block)."""

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        self.prev = STATE.anomaly
        STATE.anomaly = bool(mode) and check_nan

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc: Any) -> None:
        STATE.anomaly = self.prev


def is_anomaly_enabled() -> bool:
    return STATE.anomaly
