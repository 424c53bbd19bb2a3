"""Empirical kernels of finite networks built with :func:`ntk.nt.stax.serial`
(``empirical_ntk_fn``, ``empirical_nngp_fn``, ``empirical_kernel_fn``), Monte Carlo kernels
(``monte_carlo_kernel_fn``) and ``batch``.

Kernels are traced over the logits (``trace_axes=(-1,)``: averaged over the output axis), as
neural-tangents does by default. The functions must be ``apply_fn``/``init_fn`` of an
``ntk.nt.stax.serial`` network (other functions raise ``NotImplementedError``).
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .. import _native
from .._arrays import as2d
from .predict import _trace_axes
from .stax import _get_tuple, _seed, _select

__all__ = ["batch", "empirical_kernel_fn", "empirical_nngp_fn", "empirical_ntk_fn", "monte_carlo_kernel_fn"]


def _network(f: Callable[..., Any]) -> Any:
    net = getattr(f, "_ntk_network", None)
    if net is None:
        raise NotImplementedError(
            "ntk.nt: empirical kernels need the apply_fn (or init_fn) of an ntk.nt.stax.serial network"
        )
    return net


def _nngp(f1: np.ndarray, f2: np.ndarray) -> np.ndarray:
    """The output covariance f(x1) f(x2)^T averaged over logits."""
    return f1 @ f2.T / f1.shape[1]


def empirical_kernel_fn(f: Callable[..., Any], trace_axes: Any = (-1,), diagonal_axes: Any = (), vmap_axes: Any = None, implementation: Any = None) -> Callable[..., Any]:
    """``kernel_fn(x1, x2, get, params)`` of the finite network ``f``: NNGP
    ``f(x1) f(x2)^T / k`` and NTK ``J(x1) J(x2)^T / k``."""
    _trace_axes(trace_axes)
    if tuple(diagonal_axes) != ():
        raise NotImplementedError("ntk.nt: diagonal_axes is not supported")
    net = _network(f)

    def kernel_fn(x1: Any, x2: Any, get: Any, params: Any, **_kwargs: Any) -> Any:
        names, _ = _get_tuple(get)
        a = as2d(x1, "x1")
        b = None if x2 is None else as2d(x2, "x2")
        vals = {}
        if "ntk" in names:
            vals["ntk"] = _native.empirical_kernels(net, params, a, b).ntk
        if "nngp" in names:
            fa = _native.apply(net, params, a)
            vals["nngp"] = _nngp(fa, fa if b is None else _native.apply(net, params, b))
        return _select(vals, get)

    return kernel_fn


def empirical_ntk_fn(f: Callable[..., Any], trace_axes: Any = (-1,), diagonal_axes: Any = (), vmap_axes: Any = None, implementation: Any = None, **_kw: Any) -> Callable[..., Any]:
    """``ntk_fn(x1, x2, params)``: the empirical NTK of ``f`` (``n1 x n2``, averaged over logits)."""
    k = empirical_kernel_fn(f, trace_axes, diagonal_axes)
    return lambda x1, x2, params, **kw: k(x1, x2, "ntk", params)


def empirical_nngp_fn(f: Callable[..., Any], trace_axes: Any = (-1,), diagonal_axes: Any = ()) -> Callable[..., Any]:
    """``nngp_fn(x1, x2, params)``: ``f(x1) f(x2)^T`` averaged over logits."""
    k = empirical_kernel_fn(f, trace_axes, diagonal_axes)
    return lambda x1, x2, params, **kw: k(x1, x2, "nngp", params)


def monte_carlo_kernel_fn(
    init_fn: Callable[..., Any],
    apply_fn: Callable[..., Any],
    key: Any,
    n_samples: int,
    batch_size: int = 0,
    device_count: int = -1,
    store_on_device: bool = True,
    trace_axes: Any = (-1,),
    diagonal_axes: Any = (),
    vmap_axes: Any = None,
    implementation: Any = None,
) -> Callable[..., Any]:
    """``kernel_fn(x1, x2=None, get=None)``: the empirical kernels averaged over
    ``n_samples`` networks drawn by ``init_fn`` (seeds derived from ``key``; draws differ
    from JAX's)."""
    if not isinstance(n_samples, (int, np.integer)) or n_samples < 1:
        raise NotImplementedError("ntk.nt: n_samples must be an int >= 1")
    _network(apply_fn)
    kfn = empirical_kernel_fn(apply_fn, trace_axes, diagonal_axes)
    base = _seed(key)

    def kernel_fn(x1: Any, x2: Any = None, get: Any = None, **_kwargs: Any) -> Any:
        names, _ = _get_tuple(get)
        a = as2d(x1, "x1")
        acc = {g: None for g in names}
        for s in range(int(n_samples)):
            _, params = init_fn((base + 0x9E3779B97F4A7C15 * s) & 0xFFFFFFFFFFFFFFFF, a.shape)
            k = kfn(a, x2, names, params)
            for g in names:
                v = getattr(k, g)
                acc[g] = v if acc[g] is None else acc[g] + v
        return _select({g: acc[g] / n_samples for g in names}, get)

    return kernel_fn


def batch(kernel_fn: Callable[..., Any], batch_size: int = 0, device_count: int = -1, store_on_device: bool = True) -> Callable[..., Any]:
    """neural-tangents' ``batch``: the engine already tiles its work, so this returns
    ``kernel_fn`` itself."""
    return kernel_fn
