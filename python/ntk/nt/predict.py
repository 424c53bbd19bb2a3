"""``neural_tangents.predict`` for MSE training: closed-form gradient flow of the linearised
network (``gradient_descent_mse``), the infinite ensembles (``gradient_descent_mse_ensemble``),
GP posteriors (``gp_inference``) and ``max_learning_rate``.

Conventions are neural-tangents': loss ``1/(2N) ||f - Y||^2`` with ``N = y_train.size``, so
``f_t`` decays as ``exp(-learning_rate * K * t / N)``; ``t=None`` is ``t = inf``; ``diag_reg``
is multiplied by ``trace(K) / n`` unless ``diag_reg_absolute_scale=True``; outputs carry the
time axes first (``t.shape + (n, k)``). Kernels are traced over the output axis
(``trace_axes=(-1,)``, the only supported value).
"""

from __future__ import annotations

from collections import namedtuple
from typing import Any, Callable, Optional, Tuple

import numpy as np

from .. import _native, _ntk
from .._arrays import as2d

__all__ = ["Gaussian", "gradient_descent_mse", "gradient_descent_mse_ensemble", "gp_inference", "max_learning_rate"]

Gaussian = namedtuple("Gaussian", ["mean", "covariance"])
Gaussian.__doc__ = "A Gaussian: ``mean`` (..., n, k) and ``covariance`` (..., n, n)."


def _trace_axes(trace_axes: Any) -> None:
    if tuple(np.atleast_1d(trace_axes).tolist()) not in ((-1,), (1,)):
        raise NotImplementedError(f"ntk.nt: trace_axes={trace_axes!r}: only (-1,) is supported")


def _ts(t: Any) -> Tuple[list, tuple]:
    """Flattened times (None -> inf) and the shape to restore."""
    if t is None:
        return [float("inf")], ()
    a = np.asarray(t, dtype=np.float64)
    return [float(v) for v in a.ravel()], a.shape


def _y(y: Any) -> Tuple[np.ndarray, bool]:
    a = np.asarray(y, dtype=np.float64)
    if a.ndim == 1:
        return a[:, None], True
    if a.ndim != 2:
        raise NotImplementedError(f"ntk.nt: y_train must be (n, k), got shape {a.shape}")
    return a, False


def _shape(out: np.ndarray, shape: tuple, squeeze: bool) -> np.ndarray:
    """``T x n x k`` -> ``shape + (n, k)`` (or ``(n,)`` for 1-D targets)."""
    out = out.reshape(shape + out.shape[1:])
    return out[..., 0] if squeeze else out


def _f0(f: Any, like: np.ndarray, name: str) -> Optional[np.ndarray]:
    if f is None:
        return None
    a = np.asarray(f, dtype=np.float64)
    if a.ndim == 0:
        return None if a == 0.0 else np.full(like.shape, float(a))
    a = a.reshape(like.shape) if a.size == like.size else a
    if a.shape != like.shape:
        raise ValueError(f"{name}: expected shape {like.shape}, got {a.shape}")
    return a


def _reg(diag_reg: float, absolute: bool) -> dict:
    return {"diag_reg": float(diag_reg), "diag_reg_relative": not absolute}


def _regularized(k: np.ndarray, diag_reg: float, absolute: bool) -> np.ndarray:
    """``k + r I`` with neural-tangents' ``r`` (``diag_reg``, times ``trace(k) / n`` unless
    ``absolute``)."""
    r = float(diag_reg) * (1.0 if absolute else np.trace(k) / k.shape[0])
    return k + r * np.eye(k.shape[0]) if r != 0.0 else k


def max_learning_rate(
    ntk_train_train: Any, y_train_size: Optional[int] = None, momentum: float = 0.0, eps: float = 1e-12
) -> float:
    """The largest stable learning rate of gradient descent on the mean loss:
    ``2 (1 + momentum) N / (lambda_max + eps)``, ``N = y_train_size`` (default: the number of
    rows of the kernel), ``lambda_max`` by Lanczos (relative residual 1e-11)."""
    if not -1.0 <= momentum <= 1.0:
        raise ValueError(f"momentum must be in [-1, 1], got {momentum}")
    k = as2d(ntk_train_train, "ntk_train_train")
    factor = k.shape[0] if y_train_size is None else int(y_train_size)
    lam, _, _ = _ntk.largest_eigenvalue(k)
    return 2.0 * (1.0 + momentum) * factor / (lam + eps)


def gradient_descent_mse(
    k_train_train: Any,
    y_train: Any,
    learning_rate: float = 1.0,
    diag_reg: float = 0.0,
    diag_reg_absolute_scale: bool = False,
    trace_axes: Any = (-1,),
) -> Callable[..., Any]:
    """Continuous-time gradient descent on the MSE of a linearised network with NTK
    ``k_train_train``. Returns ``predict_fn(t=None, fx_train_0=0., fx_test_0=None,
    k_test_train=None)``: ``fx_train_t``, or ``(fx_train_t, fx_test_t)`` when a test kernel
    (or ``fx_test_0``) is given."""
    _trace_axes(trace_axes)
    k = as2d(k_train_train, "k_train_train")
    y, squeeze = _y(y_train)
    reg = _reg(diag_reg, diag_reg_absolute_scale)

    def predict_fn(t: Any = None, fx_train_0: Any = 0.0, fx_test_0: Any = None, k_test_train: Any = None) -> Any:
        if fx_test_0 is not None and k_test_train is None:
            raise ValueError("`k_test_train` must be specified when computing test predictions (fx_test_0 is not None)")
        ts, shape = _ts(t)
        f0 = None if fx_train_0 is None else _f0(fx_train_0, y, "fx_train_0")
        kt, ft0 = None, None
        if fx_test_0 is not None:
            kt = as2d(k_test_train, "k_test_train")
            ft0 = _f0(fx_test_0, np.zeros((kt.shape[0], y.shape[1])), "fx_test_0")
        ftr, fte = _ntk.flow(
            k, y, ts, learning_rate=float(learning_rate), loss="mean",
            f0_train=f0, k_test_train=kt, f0_test=ft0, **reg,
        )
        ftr = _shape(ftr, shape, squeeze)
        if kt is None:
            return ftr
        fte = _shape(fte, shape, squeeze)
        return fte if fx_train_0 is None else (ftr, fte)

    return predict_fn


def _kernels(kernel_fn: Callable[..., Any], x1: Any, x2: Any, **kwargs: Any) -> Any:
    return kernel_fn(x1, x2, ("nngp", "ntk"), **kwargs)


def gradient_descent_mse_ensemble(
    kernel_fn: Callable[..., Any],
    x_train: Any,
    y_train: Any,
    learning_rate: float = 1.0,
    diag_reg: float = 0.0,
    diag_reg_absolute_scale: bool = False,
    trace_axes: Any = (-1,),
    **kernel_fn_train_train_kwargs: Any,
) -> Callable[..., Any]:
    """The infinite ensemble of networks trained by gradient flow on the MSE. Returns
    ``predict_fn(t=None, x_test=None, get=None, compute_cov=False)``: the mean (and with
    ``compute_cov`` a ``Gaussian(mean, covariance)``) of the outputs on ``x_test`` (default:
    the training inputs) at times ``t``, for NTK training (``get='ntk'``: all layers) and NNGP
    training (``get='nngp'``: the readout); a namedtuple for a tuple ``get`` (default both)."""
    _trace_axes(trace_axes)
    y, squeeze = _y(y_train)
    k_dd = _kernels(kernel_fn, x_train, None, **kernel_fn_train_train_kwargs)
    reg = _reg(diag_reg, diag_reg_absolute_scale)

    def predict_fn(t: Any = None, x_test: Any = None, get: Any = None, compute_cov: bool = False, **kwargs: Any) -> Any:
        names = ("nngp", "ntk") if get is None else ((get,) if isinstance(get, str) else tuple(get))
        for g in names:
            if g not in ("nngp", "ntk"):
                raise NotImplementedError(f"ntk.nt: get={g!r}: only 'nngp' and 'ntk'")
        ts, shape = _ts(t)
        test = {}
        if x_test is not None:
            k_td = _kernels(kernel_fn, x_test, x_train, **kwargs)
            k_tt = kernel_fn(x_test, None, "nngp", **kwargs)
            test = dict(nngp_test_train=as2d(k_td.nngp, "k"), nngp_test=as2d(k_tt, "k"),
                        ntk_test_train=as2d(k_td.ntk, "k"))
        out = {}
        for g in names:
            if g == "nngp":
                # neural-tangents regularizes the NNGP ensemble's prior too (the ridge acts as
                # observation noise): the flow and the prior on the train set are K + r I
                mean, cov = _ntk.ensemble(
                    g, _regularized(as2d(k_dd.nngp, "k"), diag_reg, diag_reg_absolute_scale), y, ts,
                    learning_rate=float(learning_rate), loss="mean", **test,
                )
            else:
                mean, cov = _ntk.ensemble(
                    g, as2d(k_dd.nngp, "k"), y, ts, ntk_train=as2d(k_dd.ntk, "k"),
                    learning_rate=float(learning_rate), loss="mean", **reg, **test,
                )
            mean = _shape(mean, shape, squeeze)
            cov = cov.reshape(shape + cov.shape[1:])
            out[g] = Gaussian(mean, cov) if compute_cov else mean
        if isinstance(get, str):
            return out[get]
        return namedtuple("Gaussians" if compute_cov else "Means", names)(*(out[g] for g in names))

    return predict_fn


def _attr(k: Any, g: str) -> np.ndarray:
    if isinstance(k, np.ndarray) or not hasattr(k, g):
        return as2d(k, g)
    return as2d(getattr(k, g), g)


def gp_inference(
    k_train_train: Any,
    y_train: Any,
    diag_reg: float = 0.0,
    diag_reg_absolute_scale: bool = False,
    trace_axes: Any = (-1,),
) -> Callable[..., Any]:
    """Exact Gaussian-process inference with the NNGP and/or NTK as prior covariance (the
    infinite-time limit of training the readout on that kernel). ``k_train_train``: an
    array, or an object with ``.nngp``/``.ntk``. Returns ``predict_fn(get=None,
    k_test_train=None, k_test_test=None)``: the posterior mean, or ``Gaussian(mean,
    covariance)`` when ``k_test_test`` is given."""
    _trace_axes(trace_axes)
    y, squeeze = _y(y_train)
    reg = _reg(diag_reg, diag_reg_absolute_scale)

    def predict_fn(get: Any = None, k_test_train: Any = None, k_test_test: Any = None) -> Any:
        names = ("nngp", "ntk") if get is None else ((get,) if isinstance(get, str) else tuple(get))
        out = {}
        for g in names:
            if g not in ("nngp", "ntk", "ntkgp"):
                raise NotImplementedError(f"ntk.nt: get={g!r}: only 'nngp', 'ntk' and 'ntkgp'")
            prior = "ntk" if g == "ntkgp" else g
            k_dd = _attr(k_train_train, prior)
            if k_test_train is None:
                # train-set outputs: N(y_train, 0), as neural-tangents returns them
                mean = y[:, 0] if squeeze else y.copy()
                out[g] = Gaussian(mean, np.zeros_like(k_dd)) if k_test_test is not None else mean
                continue
            k_td = _attr(k_test_train, prior)
            cov_wanted = k_test_test is not None
            if g == "ntk" and cov_wanted:
                # the NTK-trained ensemble at t = inf: needs NTK and NNGP matrices
                if not (hasattr(k_train_train, "nngp") and hasattr(k_test_train, "nngp")):
                    raise ValueError(
                        'If "ntk" in get and k_test_test is given, k_train_train and k_test_train '
                        "must carry both nngp and ntk (namedtuples with nngp and ntk attributes)"
                    )
                mean, cov = _ntk.ensemble(
                    "ntk", _attr(k_train_train, "nngp"), y, [float("inf")], ntk_train=k_dd,
                    ntk_test_train=k_td, nngp_test_train=_attr(k_test_train, "nngp"),
                    nngp_test=_attr(k_test_test, "nngp"), loss="mean", **reg,
                )
            else:
                # GP posterior with prior covariance k_dd (NNGP; NTK for 'ntkgp'; the mean of
                # the NTK ensemble is the same formula)
                # the GP posterior K_tt - K_td (K + r I)^-1 K_dt: the readout-trained ensemble
                # at t = inf whose prior on the train set already includes the noise r I
                k_tt = _attr(k_test_test, prior) if cov_wanted else np.zeros((k_td.shape[0],) * 2)
                mean, cov = _ntk.ensemble(
                    "nngp", _regularized(k_dd, diag_reg, diag_reg_absolute_scale), y, [float("inf")], nngp_test_train=k_td, nngp_test=k_tt,
                    loss="mean",
                )
            mean = mean[0][..., 0] if squeeze else mean[0]
            out[g] = Gaussian(mean, cov[0]) if cov_wanted else mean
        if isinstance(get, str):
            return out[get]
        return namedtuple("Gaussians", names)(*(out[g] for g in names))

    return predict_fn


def gradient_descent(*_args: Any, **_kwargs: Any) -> Any:
    """Not supported: neural-tangents' momentum gradient descent on arbitrary losses.
    Use :func:`gradient_descent_mse` (MSE, closed form)."""
    raise NotImplementedError("ntk.nt: predict.gradient_descent (momentum, arbitrary loss) is not supported; use gradient_descent_mse")
