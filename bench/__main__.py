"""``python -m bench``: see bench/run.py."""
import sys

import bench  # noqa: F401  (pins the thread pools before NumPy loads)
from bench.run import main

sys.exit(main())
