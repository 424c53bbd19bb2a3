"""ntk: exact infinite-width NNGP/NTK kernels, training dynamics without training, and
finite-width networks, on a Rust engine.

Native API (this module)::

    import ntk
    net = ntk.Network("relu", depth=2, w_std=1.5, b_std=0.1)
    k = ntk.kernels(net, x_train)              # Kernels(nngp=..., ntk=...)
    p = ntk.predict(net, x_train, y_train, x_test=x_test, times=[0, 10, np.inf], ensemble=True)

neural-tangents compatibility: :mod:`ntk.nt` (``from ntk.nt import stax, predict``).
scikit-learn kernels: :mod:`ntk.sklearn` (``NTK``, ``NNGP``).

All arrays are float64 (float32/integer inputs are converted, C or Fortran order or strided
views are read in place). Long computations release the GIL; kernel computations can be
interrupted with Ctrl-C between tiles. Errors: ``ValueError`` (bad input), ``MemoryError``,
``ntk.NumericalError`` (a numerical failure), ``OSError`` (files).
"""

from __future__ import annotations

from ._native import (
    Kernels,
    Network,
    NumericalError,
    Prediction,
    converge,
    dataset,
    empirical_kernels,
    init_params,
    apply,
    kernels,
    max_learning_rate,
    predict,
    read_matrix,
)
from ._ntk import __version__

__all__ = [
    "Kernels",
    "Network",
    "NumericalError",
    "Prediction",
    "__version__",
    "apply",
    "converge",
    "dataset",
    "empirical_kernels",
    "init_params",
    "kernels",
    "max_learning_rate",
    "predict",
    "read_matrix",
]
