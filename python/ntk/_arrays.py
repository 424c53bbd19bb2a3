"""Array conversion shared by the package: float64 2-D views without copies where possible."""

from __future__ import annotations

from typing import Any, Optional

import numpy as np


def as2d(x: Any, name: str) -> np.ndarray:
    """``x`` as a 2-D float64 array (no copy for float64 input of any layout).

    1-D input is read as one column (``n`` points of dimension 1 for inputs, ``n`` targets for
    outputs). Raises ``ValueError`` for other ranks, empty arrays or non-numeric data.
    """
    try:
        a = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise ValueError(f"{name}: expected a numeric array, got {type(x).__name__} ({e})") from None
    if a.ndim == 1:
        a = a[:, None]
    if a.ndim != 2:
        raise ValueError(f"{name}: expected a 2-D array (points x features), got shape {a.shape}")
    return a


def opt2d(x: Optional[Any], name: str) -> Optional[np.ndarray]:
    """As :func:`as2d`, passing ``None`` through."""
    return None if x is None else as2d(x, name)
