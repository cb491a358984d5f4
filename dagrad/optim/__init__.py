"""``dagrad.optim``: optimizers (SGD, Adam, AdamW, RMSprop, Adagrad) and ``lr_scheduler``."""
from __future__ import annotations

from dagrad.optim import lr_scheduler  # noqa: F401
from dagrad.optim.adagrad import Adagrad  # noqa: F401
from dagrad.optim.adam import Adam, AdamW  # noqa: F401
from dagrad.optim.optimizer import Optimizer  # noqa: F401
from dagrad.optim.rmsprop import RMSprop  # noqa: F401
from dagrad.optim.sgd import SGD  # noqa: F401
