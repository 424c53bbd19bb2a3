"""scikit-learn kernels: the analytic infinite-width :class:`NTK` and :class:`NNGP` of a
fully-connected network, implementing sklearn's ``Kernel`` contract, for ``KernelRidge``,
``SVC``/``SVR``, ``GaussianProcessRegressor`` and ``pairwise_kernels``::

    from sklearn.kernel_ridge import KernelRidge
    from ntk.sklearn import NTK
    model = KernelRidge(alpha=1e-3, kernel=NTK(depth=3, activation="relu", w_std=1.4, b_std=0.1))

The constructor stores its arguments unchanged (so ``clone``, ``GridSearchCV`` and pickling
work); they are validated by the engine on the first call. ``w_std`` and ``b_std`` are
hyperparameters with ``bounds="fixed"`` (a GP fit does not tune them: search them with
``GridSearchCV``); ``eval_gradient=True`` therefore returns an empty gradient. ``diag(X)``
costs ``O(n)`` kernel entries (256 per point), not the whole matrix, and equals the diagonal
of the full kernel bit for bit.
"""

from __future__ import annotations

from typing import Any, Optional, Tuple, Union

import numpy as np
from sklearn.gaussian_process.kernels import Hyperparameter, Kernel

from . import _native
from ._arrays import as2d

__all__ = ["NNGP", "NTK"]

_TILE = 256  # the engine's tile edge: diag() evaluates the diagonal tiles of the full kernel


class _NetworkKernel(Kernel):
    _which = "ntk"

    def __init__(
        self,
        depth: int = 1,
        activation: str = "relu",
        w_std: float = 1.0,
        b_std: Optional[float] = 0.0,
        parameterization: str = "ntk",
        width: Optional[int] = None,
        threads: int = 0,
    ) -> None:
        self.depth = depth
        self.activation = activation
        self.w_std = w_std
        self.b_std = b_std
        self.parameterization = parameterization
        self.width = width
        self.threads = threads

    @property
    def hyperparameter_w_std(self) -> Hyperparameter:
        return Hyperparameter("w_std", "numeric", "fixed")

    @property
    def hyperparameter_b_std(self) -> Hyperparameter:
        return Hyperparameter("b_std", "numeric", "fixed")

    def _network(self) -> _native.Network:
        return _native.Network(
            self.activation,
            depth=self.depth,
            w_std=self.w_std,
            b_std=self.b_std,
            parameterization=self.parameterization,
            width=self.width,
        )

    def _matrix(self, k: _native.Kernels) -> np.ndarray:
        return k.ntk if self._which == "ntk" else k.nngp

    def __call__(
        self, X: Any, Y: Any = None, eval_gradient: bool = False
    ) -> Union[np.ndarray, Tuple[np.ndarray, np.ndarray]]:
        """``K(X, Y)`` (``Y=None``: ``K(X, X)``, exactly symmetric); with ``eval_gradient``
        also the gradient with respect to the (fixed, hence none) log-hyperparameters."""
        if eval_gradient and Y is not None:
            raise ValueError("Gradient can only be evaluated when Y is None.")
        x = as2d(X, "X")
        y = None if Y is None else as2d(Y, "Y")
        k = self._matrix(
            _native.kernels(self._network(), x, y, ntk=self._which == "ntk", threads=self.threads)
        )
        if eval_gradient:
            return k, np.empty((k.shape[0], k.shape[1], 0))
        return k

    def diag(self, X: Any) -> np.ndarray:
        """The diagonal ``K(x_i, x_i)``, equal to ``np.diag(self(X))``."""
        x = as2d(X, "X")
        net = self._network()
        out = np.empty(x.shape[0])
        for s in range(0, x.shape[0], _TILE):
            blk = x[s : s + _TILE]
            k = self._matrix(_native.kernels(net, blk, ntk=self._which == "ntk", threads=self.threads))
            out[s : s + blk.shape[0]] = np.diag(k)
        return out

    def is_stationary(self) -> bool:
        """No: the kernel depends on the inputs' norms and angles, not on ``x - x'``."""
        return False

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(depth={self.depth!r}, activation={self.activation!r}, "
            f"w_std={self.w_std!r}, b_std={self.b_std!r}, parameterization={self.parameterization!r})"
        )


class NTK(_NetworkKernel):
    """The infinite-width Neural Tangent Kernel of a depth-``depth`` MLP (``depth`` hidden
    (Dense, activation) pairs and a linear readout), as a scikit-learn kernel.

    >>> import numpy as np
    >>> k = NTK(depth=2, activation="relu", w_std=1.5, b_std=0.1)
    >>> K = k(np.eye(3))
    >>> K.shape, bool(np.allclose(k.diag(np.eye(3)), np.diag(K), rtol=0, atol=0))
    ((3, 3), True)
    """

    _which = "ntk"


class NNGP(_NetworkKernel):
    """The infinite-width NNGP kernel (output covariance at initialization) of a
    depth-``depth`` MLP, as a scikit-learn kernel."""

    _which = "nngp"
