"""neural-tangents compatibility: the same names, signatures, shapes and conventions
(float64), on the ntk engine. Existing code runs by changing the import::

    from neural_tangents import stax          ->  from ntk.nt import stax
    import neural_tangents as nt              ->  import ntk.nt as nt

Supported: ``stax.serial`` of ``Dense`` / activation chains (``Relu``, ``Erf``, ``Selu`` and
any other activation the engine knows), ``kernel_fn``, ``init_fn``/``apply_fn`` of the finite
network, ``predict.gradient_descent_mse``, ``predict.gradient_descent_mse_ensemble``,
``predict.gp_inference``, ``predict.max_learning_rate``, ``empirical_ntk_fn``,
``empirical_nngp_fn``, ``empirical_kernel_fn``, ``monte_carlo_kernel_fn``, ``batch``.
Layers outside these chains raise ``NotImplementedError`` naming the layer. See
docs/python.md for the mapping and what is not supported.
"""

from . import predict, stax
from .empirical import (
    batch,
    empirical_kernel_fn,
    empirical_nngp_fn,
    empirical_ntk_fn,
    monte_carlo_kernel_fn,
)

__all__ = [
    "batch",
    "empirical_kernel_fn",
    "empirical_nngp_fn",
    "empirical_ntk_fn",
    "monte_carlo_kernel_fn",
    "predict",
    "stax",
]
