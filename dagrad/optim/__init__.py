"""``dagrad.optim``: optimizers (SGD, Adam, AdamW, RMSprop, Adagrad, Adadelta, Adamax, LBFGS) and
``lr_scheduler``."""
from __future__ import annotations

from dagrad.optim import lr_scheduler  # noqa: F401
from dagrad.optim.adadelta import Adadelta  # noqa: F401
from dagrad.optim.adagrad import Adagrad  # noqa: F401
from dagrad.optim.adam import Adam, AdamW  # noqa: F401
from dagrad.optim.adamax import Adamax  # noqa: F401
from dagrad.optim.lbfgs import LBFGS  # noqa: F401
from dagrad.optim.optimizer import Optimizer  # noqa: F401
from dagrad.optim.rmsprop import RMSprop  # noqa: F401
from dagrad.optim.sgd import SGD  # noqa: F401
