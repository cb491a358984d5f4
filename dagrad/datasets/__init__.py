"""Small datasets generated in code, so examples and tests need no download."""
from dagrad.datasets.digits import synthetic_digits  # noqa: F401
