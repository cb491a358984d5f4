"""``dagrad.utils``: checkpoint (and, with the nn issue, data loading)."""
