"""``dagrad.nn.utils``: gradient clipping and parameter <-> vector conversion."""
from __future__ import annotations

from dagrad.nn.utils.clip_grad import (  # noqa: F401
    clip_grad_norm, clip_grad_norm_, clip_grad_value_, get_total_norm)
from dagrad.nn.utils.convert_parameters import (  # noqa: F401
    parameters_to_vector, vector_to_parameters)
