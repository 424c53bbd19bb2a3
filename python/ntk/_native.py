"""The native API: thin wrappers over the compiled module :mod:`ntk._ntk`."""

from __future__ import annotations

import json
import math
from collections import namedtuple
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from . import _ntk
from ._arrays import as2d, opt2d

NumericalError = _ntk.NumericalError

Kernels = namedtuple("Kernels", ["nngp", "ntk"])
Kernels.__doc__ = "NNGP and NTK matrices (``ntk`` is None when not requested)."

Params = List[Tuple[np.ndarray, Optional[np.ndarray]]]


class Network:
    """A fully-connected network: ``depth`` hidden (Dense, activation) pairs and a linear
    readout, all Dense layers with the same ``w_std`` and ``b_std``.

    ``activation`` is any name the engine's parser knows (``relu``, ``erf``, ``selu``, ...);
    ``b_std=None`` means no bias parameters (neural-tangents' ``b_std=None``);
    ``parameterization`` is ``"ntk"`` or ``"standard"`` (the latter's NTK needs ``width``).
    The description is validated by the engine on construction (``ValueError``).

    >>> net = Network("relu", depth=2, w_std=1.5, b_std=0.1)
    >>> net.activation, net.depth
    ('relu', 2)
    """

    __slots__ = ("activation", "depth", "w_std", "b_std", "parameterization", "width", "_json")

    def __init__(
        self,
        activation: str = "relu",
        depth: int = 1,
        w_std: float = 1.0,
        b_std: Optional[float] = 0.0,
        parameterization: str = "ntk",
        width: Optional[int] = None,
    ) -> None:
        text = _ntk.network_json(
            str(activation),
            _int(depth, "depth"),
            float(w_std),
            None if b_std is None else float(b_std),
            str(parameterization),
            None if width is None else _int(width, "width"),
        )
        d = json.loads(text)
        self.activation: str = d["activation"] if isinstance(d["activation"], str) else str(activation)
        self.depth: int = int(depth)
        self.w_std: float = float(w_std)
        self.b_std: Optional[float] = None if b_std is None else float(b_std)
        self.parameterization: str = str(parameterization).lower()
        self.width: Optional[int] = None if width is None else int(width)
        self._json: str = text

    def to_json(self) -> str:
        """The engine's JSON description of this network."""
        return self._json

    def _key(self) -> tuple:
        return (self.activation, self.depth, self.w_std, self.b_std, self.parameterization, self.width)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Network) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return (
            f"Network({self.activation!r}, depth={self.depth}, w_std={self.w_std}, b_std={self.b_std}, "
            f"parameterization={self.parameterization!r}, width={self.width})"
        )

    def __getstate__(self) -> tuple:
        return self._key()

    def __setstate__(self, state: tuple) -> None:
        self.__init__(*state)  # type: ignore[misc]


def _int(v: Any, name: str) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or int(v) < 0:
        raise ValueError(f"{name} must be an integer >= 0, got {v!r}")
    return int(v)


def _progress(progress: Union[bool, Callable[[int, int], Any], None], label: str):
    """A ``(done, total)`` callback and a closer: tqdm when ``progress=True`` and tqdm is
    installed, the user's callable, or nothing."""
    if callable(progress):
        return progress, lambda: None
    if not progress:
        return None, lambda: None
    try:
        from tqdm.auto import tqdm  # type: ignore[import-not-found]
    except ImportError:
        return None, lambda: None
    bar = tqdm(total=None, desc=label, unit="band")

    def cb(done: int, total: int) -> None:
        bar.total = total
        bar.n = done
        bar.refresh()

    return cb, bar.close


def kernels(
    net: Network,
    x1: Any,
    x2: Any = None,
    *,
    ntk: bool = True,
    threads: int = 0,
    progress: Union[bool, Callable[[int, int], Any]] = False,
) -> Kernels:
    """Analytic infinite-width NNGP and NTK of ``net`` between the rows of ``x1`` (``n1 x d``)
    and of ``x2`` (``n2 x d``, default ``x1``).

    ``threads=0`` uses every core; results are bitwise identical for any thread count.
    ``progress=True`` shows a tqdm bar (if tqdm is installed); a callable gets
    ``(done, total)``. Ctrl-C interrupts (``KeyboardInterrupt``) between tiles.

    >>> import numpy as np
    >>> k = kernels(Network("relu", 1, 2 ** 0.5, 0.0), np.eye(3))
    >>> bool(abs(k.nngp[0, 0] - 1.0) < 1e-15)
    True
    """
    a = as2d(x1, "x1")
    b = opt2d(x2, "x2")
    cb, close = _progress(progress, "kernels")
    try:
        nngp, tk = _ntk.kernels(_net(net).to_json(), a, b, bool(ntk), int(threads), cb)
    finally:
        close()
    return Kernels(nngp, tk)


def _net(net: Any) -> Network:
    if isinstance(net, Network):
        return net
    if isinstance(net, dict):
        return Network(**net)
    raise ValueError(f"expected an ntk.Network (or a dict of its fields), got {type(net).__name__}")


def _times(ts: Any) -> List[float]:
    arr = np.atleast_1d(np.asarray(ts, dtype=np.float64))
    if arr.ndim != 1:
        raise ValueError(f"times must be a scalar or a 1-D sequence, got shape {arr.shape}")
    return [float(t) for t in arr]


def _arrays(v: Any) -> Any:
    """Nested numeric lists of a report -> numpy arrays (``"inf"`` -> ``np.inf``)."""
    if isinstance(v, dict):
        return {k: _arrays(x) for k, x in v.items()}
    if isinstance(v, list):
        if v and all(isinstance(x, (int, float, str, list)) and not isinstance(x, bool) for x in v):
            try:
                return np.array(_infs(v), dtype=np.float64)
            except (ValueError, TypeError):
                pass
        return [_arrays(x) for x in v]
    return v


def _infs(v: Any) -> Any:
    if isinstance(v, list):
        return [_infs(x) for x in v]
    if v == "inf":
        return math.inf
    return v


class Prediction(dict):
    """The report of :func:`predict` (the content of ``ntk predict``'s JSON), as a dict whose
    numeric lists are numpy arrays; keys are also attributes: ``times``, ``fx_train``
    (times x n x k), ``fx_test``, ``loss_train``, ``loss_test``, ``eigenvalues``,
    ``gradient_descent``, ``ensemble`` (``{"ntk": {"test_mean", "test_cov"}, "nngp": ...}``),
    ``max_learning_rate``, ``diagnostics``, ``warnings``, ``check``."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def predict(
    y_train: Any,
    *,
    network: Optional[Network] = None,
    x_train: Any = None,
    x_test: Any = None,
    ntk_train: Any = None,
    ntk_test_train: Any = None,
    nngp_train: Any = None,
    nngp_test_train: Any = None,
    nngp_test: Any = None,
    times: Any = (0.0, 1.0, 10.0, 100.0, 1000.0, math.inf),
    steps: Sequence[int] = (),
    learning_rate: float = 1.0,
    loss: str = "sum",
    kernel: str = "ntk",
    ensemble: bool = False,
    diag_reg: float = 0.0,
    diag_reg_relative: bool = False,
    y_test: Any = None,
    f0_train: Any = None,
    f0_test: Any = None,
    check_widths: Optional[Sequence[int]] = None,
    seeds: int = 3,
    seed: int = 0,
    threads: int = 0,
) -> Prediction:
    """Training dynamics without training (the ``ntk predict`` job): gradient flow at
    ``times`` (``np.inf`` allowed) and gradient descent at ``steps``, from the kernels of
    ``network`` on ``x_train``/``x_test`` or from given kernel matrices.

    ``loss="sum"`` is ``1/2 ||f - Y||^2`` (time = steps); ``loss="mean"`` is neural-tangents'
    ``1/(2N) ||f - Y||^2`` with ``N = y_train.size``. ``kernel="nngp"`` trains the readout
    only. ``ensemble=True`` adds the infinite-ensemble test mean and covariance for NTK and
    NNGP training. ``check_widths`` trains real networks of those widths (``seeds`` each) by
    full-batch gradient descent and compares them at ``steps``.
    """
    steps_l = [int(s) for s in steps]
    if any(s < 0 for s in steps_l):
        raise ValueError("steps must be integers >= 0")
    text = _ntk.predict(
        as2d(y_train, "y_train"),
        _times(times),
        steps_l,
        kernel=str(kernel),
        ensemble=bool(ensemble),
        learning_rate=float(learning_rate),
        loss=str(loss),
        diag_reg=float(diag_reg),
        diag_reg_relative=bool(diag_reg_relative),
        threads=int(threads),
        network=None if network is None else _net(network).to_json(),
        x_train=opt2d(x_train, "x_train"),
        x_test=opt2d(x_test, "x_test"),
        ntk_train=opt2d(ntk_train, "ntk_train"),
        ntk_test_train=opt2d(ntk_test_train, "ntk_test_train"),
        nngp_train=opt2d(nngp_train, "nngp_train"),
        nngp_test_train=opt2d(nngp_test_train, "nngp_test_train"),
        nngp_test=opt2d(nngp_test, "nngp_test"),
        y_test=opt2d(y_test, "y_test"),
        f0_train=opt2d(f0_train, "f0_train"),
        f0_test=opt2d(f0_test, "f0_test"),
        check_widths=None if check_widths is None else [int(w) for w in check_widths],
        seeds=int(seeds),
        seed=int(seed),
    )
    return Prediction(_arrays(json.loads(text)))


def max_learning_rate(k_train: Any, n_outputs: Optional[int] = None, loss: str = "mean") -> float:
    """The largest stable gradient-descent learning rate on the kernel ``k_train``:
    ``2 N / lambda_max`` for ``loss="mean"`` (``N = n_outputs``, default the number of rows),
    ``2 / lambda_max`` for ``loss="sum"``; ``lambda_max`` by Lanczos (relative residual 1e-11).
    """
    k = as2d(k_train, "k_train")
    lam, _, _ = _ntk.largest_eigenvalue(k)
    n = k.shape[0] if n_outputs is None else int(n_outputs)
    if loss == "mean":
        return 2.0 * n / lam
    if loss == "sum":
        return 2.0 / lam
    raise ValueError(f"unknown loss {loss!r}: use 'sum' or 'mean'")


def init_params(
    net: Network, d_in: int, widths: Union[int, Sequence[int]], outputs: int = 1, seed: int = 0
) -> Params:
    """Draw a finite network's parameters: one ``(W, b)`` per Dense layer (``W`` is
    ``fan_in x fan_out``, ``b`` is ``1 x fan_out`` or None), raw ``N(0, 1)`` draws under the
    NTK parameterization, seeded (``seed``), bitwise reproducible."""
    ws = [int(widths)] if isinstance(widths, (int, np.integer)) else [int(w) for w in widths]
    return _ntk.mlp_init(_net(net).to_json(), _int(d_in, "d_in"), ws, _int(outputs, "outputs"), _int(seed, "seed"))


def _layers(params: Any) -> Params:
    out = []
    for p in params:
        if p is None or (isinstance(p, (tuple, list)) and len(p) == 0) or isinstance(p, dict) and not p:
            continue  # an activation layer (no parameters)
        if not isinstance(p, (tuple, list)) or len(p) != 2:
            raise ValueError("parameters: expected (W, b) pairs (and () for activation layers)")
        w, b = p
        out.append((as2d(w, "W"), None if b is None else np.asarray(b, dtype=np.float64).reshape(1, -1)))
    return out


def apply(net: Network, params: Any, x: Any, threads: int = 0) -> np.ndarray:
    """The finite network's outputs ``f(x)`` (``n x outputs``)."""
    return _ntk.mlp_apply(_net(net).to_json(), _layers(params), as2d(x, "x"), int(threads))


def empirical_kernels(net: Network, params: Any, x1: Any, x2: Any = None, threads: int = 0) -> Kernels:
    """Empirical NNGP and NTK of a finite network (averaged over logits) between the rows of
    ``x1`` and ``x2`` (default ``x1``, exactly symmetric)."""
    tk, nngp = _ntk.empirical_kernels(_net(net).to_json(), _layers(params), as2d(x1, "x1"), opt2d(x2, "x2"), int(threads))
    return Kernels(nngp, tk)


def converge(
    net: Network,
    x: Any,
    widths: Sequence[int],
    seeds: int = 10,
    seed: int = 0,
    threads: int = 0,
    profile: bool = False,
    profile_widths: Optional[Sequence[int]] = None,
    train_steps: int = 200,
    angles: int = 101,
) -> Dict[str, Any]:
    """Width convergence (the ``ntk converge`` job): relative Frobenius errors of empirical
    against analytic kernels per width (mean and std over ``seeds``), fitted log-log slopes,
    and with ``profile=True`` the kernel profile on the unit circle before/after training."""
    text = _ntk.converge(
        _net(net).to_json(),
        as2d(x, "x"),
        [int(w) for w in widths],
        int(seeds),
        int(seed),
        int(threads),
        "array",
        bool(profile),
        None if profile_widths is None else [int(w) for w in profile_widths],
        int(train_steps),
        int(angles),
    )
    return _arrays(json.loads(text))


def dataset(name: str) -> Tuple[np.ndarray, Optional[np.ndarray]]:
    """A built-in dataset: ``"digits"`` (1797 x 64, pixels in [0, 1], labels 0..9) or
    ``"circle:N"``; returns ``(x, labels or None)``."""
    x, labels, _ = _ntk.dataset(str(name))
    return x, labels


def read_matrix(path: Any) -> np.ndarray:
    """A matrix from a ``.npy`` (f64/f32/integer, C or Fortran order) or ``.csv`` file."""
    return _ntk.read_matrix(str(path))
