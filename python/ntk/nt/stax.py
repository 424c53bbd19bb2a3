"""``neural_tangents.stax`` for fully-connected networks: ``serial`` of ``Dense`` and
activation layers returns ``(init_fn, apply_fn, kernel_fn)``.

The engine's network has one ``W_std`` and one ``b_std`` for every Dense layer (hidden and
readout) and one activation for every hidden layer: chains outside that form raise
``NotImplementedError`` saying why.
"""

from __future__ import annotations

from collections import namedtuple
from typing import Any, Callable, List, Optional, Sequence, Tuple, Union

import numpy as np

from .. import _native, _ntk
from .._arrays import as2d, opt2d

__all__ = [
    "Dense", "serial", "Kernel", "Relu", "Erf", "Sigmoid_like", "LeakyRelu", "ABRelu", "Abs",
    "Gelu", "Identity", "Selu", "Elu", "Celu", "Tanh", "Softplus", "Silu", "Swish", "Sigmoid",
]


class _Layer(tuple):
    """A layer: a tuple ``(init_fn, apply_fn, kernel_fn)`` like neural-tangents' layers,
    which raise ``NotImplementedError`` when used alone, carrying its description."""

    kind: str
    args: dict

    def __new__(cls, kind: str, **args: Any) -> "_Layer":
        def alone(*_a: Any, **_k: Any) -> Any:
            raise NotImplementedError(
                f"ntk.nt: a single {kind} layer cannot be used on its own; combine layers with stax.serial"
            )

        t = super().__new__(cls, (alone, alone, alone))
        t.kind = kind
        t.args = args
        return t

    def __repr__(self) -> str:
        a = ", ".join(f"{k}={v!r}" for k, v in self.args.items())
        return f"stax.{self.kind}({a})"


def Dense(
    out_dim: int,
    W_std: float = 1.0,
    b_std: Optional[float] = None,
    batch_axis: int = 0,
    channel_axis: int = -1,
    parameterization: str = "ntk",
    s: Tuple[int, int] = (1, 1),
) -> _Layer:
    """A dense layer ``z = (W_std / sqrt(n_in)) x W + b_std b`` (NTK parameterization) or
    ``z = x W + b``, ``W ~ N(0, W_std^2 / n_in)``, ``b ~ N(0, b_std^2)`` (standard)."""
    if batch_axis != 0 or channel_axis not in (-1, 1):
        raise NotImplementedError("ntk.nt: Dense supports batch_axis=0, channel_axis=-1 only")
    if tuple(s) != (1, 1):
        raise NotImplementedError("ntk.nt: Dense supports s=(1, 1) only")
    if str(parameterization).lower() not in ("ntk", "standard"):
        raise ValueError(f"parameterization must be 'ntk' or 'standard', got {parameterization!r}")
    return _Layer("Dense", out_dim=int(out_dim), W_std=float(W_std),
                  b_std=None if b_std is None else float(b_std), parameterization=str(parameterization).lower())


def _num(v: Any) -> str:
    """A parameter as the engine's activation string writes it (shortest round-trip form)."""
    return repr(float(v))


def _act(nt_name: str, spec: str) -> _Layer:
    """The layer `nt_name` with the engine's activation `spec` (checked by the engine's parser,
    so a bad parameter is a ValueError naming it)."""
    try:
        name = _ntk.parse_activation(spec)
    except ValueError as e:
        raise ValueError(f"ntk.nt: {nt_name}: {e}") from None
    return _Layer(nt_name, activation=spec if ":" in spec else name)


def Relu(do_stabilize: bool = False) -> _Layer:
    """ReLU, ``max(0, x)`` (``do_stabilize`` is neural-tangents' float32 guard; ignored)."""
    return _act("Relu", "relu")


def Erf(a: float = 1.0, b: float = 1.0, c: float = 0.0) -> _Layer:
    """``a * erf(b * x) + c``, neural-tangents' parameters (exact closed form)."""
    if (float(a), float(b), float(c)) == (1.0, 1.0, 0.0):
        return _act("Erf", "erf")
    return _act("Erf", f"erf:{_num(a)},{_num(b)},{_num(c)}")


def Sigmoid_like() -> _Layer:
    """neural-tangents' ``0.5 * erf(x / 2.4020563531719796) + 0.5``."""
    return _act("Sigmoid_like", "erf_sigmoid")


def LeakyRelu(alpha: float, do_stabilize: bool = False) -> _Layer:
    """``max(alpha x, x)`` style LeakyReLU: ``x`` for ``x >= 0``, ``alpha x`` below."""
    return _act("LeakyRelu", f"leaky_relu:{_num(alpha)}")


def ABRelu(a: float, b: float, do_stabilize: bool = False) -> _Layer:
    """``a min(x, 0) + b max(x, 0)`` (neural-tangents' ABRelu)."""
    return _act("ABRelu", f"abrelu:{_num(a)},{_num(b)}")


def Abs(do_stabilize: bool = False) -> _Layer:
    """``|x|``."""
    return _act("Abs", "abs")


def Gelu(approximate: bool = False) -> _Layer:
    """``x Phi(x)`` (exact closed form); the tanh approximation is not supported."""
    if approximate:
        raise NotImplementedError("ntk.nt: Gelu(approximate=True) is not supported; use Gelu()")
    return _act("Gelu", "gelu")


def Identity() -> _Layer:
    """The identity activation (a linear network)."""
    return _act("Identity", "identity")


def Selu(lambda_: Optional[float] = None, alpha: Optional[float] = None) -> _Layer:
    """SELU (exact kernels; neural-tangents has no SELU layer); default constants those of
    ``jax.nn.selu``."""
    if lambda_ is None and alpha is None:
        return _act("Selu", "selu")
    lam = 1.0507009873554805 if lambda_ is None else lambda_
    al = 1.6732632423543772 if alpha is None else alpha
    return _act("Selu", f"selu:{_num(lam)},{_num(al)}")


def Elu(alpha: float = 1.0) -> _Layer:
    """ELU(alpha), exact (not in neural-tangents, which can only integrate it numerically)."""
    return _act("Elu", f"elu:{_num(alpha)}")


def Celu(alpha: float = 1.0) -> _Layer:
    """CELU(alpha), exact (not in neural-tangents)."""
    return _act("Celu", f"celu:{_num(alpha)}")


def Tanh() -> _Layer:
    """tanh, by the Hermite series to ~1e-14 (neural-tangents has no tanh layer)."""
    return _act("Tanh", "tanh")


def Softplus() -> _Layer:
    """``log(1 + e^x)``, by the Hermite series (not in neural-tangents)."""
    return _act("Softplus", "softplus")


def Silu() -> _Layer:
    """``x sigmoid(x)`` (Swish), by the Hermite series (not in neural-tangents)."""
    return _act("Silu", "silu")


Swish = Silu


def Sigmoid() -> _Layer:
    """The logistic sigmoid, by the Hermite series (not in neural-tangents, whose
    ``Sigmoid_like`` is an erf)."""
    return _act("Sigmoid", "sigmoid")


def _unsupported(nt_name: str) -> Callable[..., _Layer]:
    def layer(*_a: Any, **_k: Any) -> _Layer:
        raise NotImplementedError(
            f"ntk.nt: the layer {nt_name} is not supported (only stax.serial chains of Dense and "
            "activation layers are)"
        )

    layer.__name__ = nt_name
    layer.__doc__ = f"Not supported: raises NotImplementedError naming {nt_name}."
    return layer


for _n in ("Conv", "ConvTranspose", "ConvLocal", "AvgPool", "SumPool", "GlobalAvgPool",
           "GlobalSumPool", "Flatten", "Dropout", "LayerNorm", "Aggregate", "GlobalSelfAttention",
           "ElementwiseNumerical", "Elementwise", "Sin", "Rbf", "Exp", "ExpNormalized",
           "Gaussian", "Hermite", "Cos", "Sign", "Monomial", "RectifiedMonomial", "Polynomial",
           "parallel", "FanOut", "FanInSum", "FanInConcat", "FanInProd", "Identity_", "ImageResize",
           "DotGeneral", "Index", "repeat"):
    globals()[_n] = _unsupported(_n)

Kernel = namedtuple("Kernel", ["nngp", "ntk"])
Kernel.__doc__ = "NNGP and NTK of a ``kernel_fn(x1, x2)`` call with ``get=None``."


def _flatten(layers: Sequence[Any]) -> List[_Layer]:
    out: List[_Layer] = []
    for l in layers:
        if isinstance(l, _Serial):
            out.extend(l.layers)
        elif isinstance(l, _Layer):
            out.append(l)
        else:
            raise NotImplementedError(
                f"ntk.nt: stax.serial got {l!r}, which is not an ntk.nt.stax layer"
            )
    return out


class _Description:
    """What a serial chain is, in the engine's terms."""

    def __init__(self, layers: List[_Layer]) -> None:
        if not layers or layers[-1].kind != "Dense":
            raise NotImplementedError("ntk.nt: the chain must end with a Dense readout layer")
        dense = layers[0::2]
        acts = layers[1::2]
        for i, l in enumerate(layers):
            if (i % 2 == 0) != (l.kind == "Dense"):
                raise NotImplementedError(
                    f"ntk.nt: layer {i} is {l!r}; supported chains alternate Dense and one "
                    "activation: Dense, act, Dense, act, ..., Dense"
                )
        first = dense[0].args
        for l in dense[1:]:
            for key in ("W_std", "b_std", "parameterization"):
                if l.args[key] != first[key]:
                    raise NotImplementedError(
                        f"ntk.nt: every Dense layer must have the same {key} (got {first[key]!r} and "
                        f"{l.args[key]!r}); the engine has one {key} per network"
                    )
        if acts and any(a.args["activation"] != acts[0].args["activation"] for a in acts):
            raise NotImplementedError("ntk.nt: every hidden layer must have the same activation")
        self.depth = len(acts)
        self.hidden = [d.args["out_dim"] for d in dense[:-1]]
        self.out_dim = dense[-1].args["out_dim"]
        param = first["parameterization"]
        width = None
        if param == "standard" and self.hidden:
            if len(set(self.hidden)) != 1:
                raise NotImplementedError(
                    "ntk.nt: the standard parameterization's kernel needs equal hidden widths"
                )
            width = self.hidden[0]
        self.network = _native.Network(
            acts[0].args["activation"] if acts else "relu",
            depth=self.depth,
            w_std=first["W_std"],
            b_std=first["b_std"],
            parameterization=param,
            width=width,
        )


def _seed(key: Any) -> int:
    """An int seed from an int or a JAX-style key (array of uint32)."""
    if isinstance(key, (int, np.integer)):
        return int(key) & 0xFFFFFFFFFFFFFFFF
    a = np.asarray(key).astype(np.uint64).ravel()
    s = 0
    for v in a:
        s = (s * 0x100000001B3 + int(v)) & 0xFFFFFFFFFFFFFFFF
    return s


def _get_tuple(get: Any) -> Tuple[Tuple[str, ...], bool]:
    if get is None:
        return ("nngp", "ntk"), False
    if isinstance(get, str):
        return (get,), True
    return tuple(get), False


def _select(values: dict, get: Any) -> Any:
    names, single = _get_tuple(get)
    for g in names:
        if g not in ("nngp", "ntk"):
            raise NotImplementedError(f"ntk.nt: get={g!r}: only 'nngp' and 'ntk' are computed")
    if single:
        return values[names[0]]
    if get is None:
        return Kernel(values["nngp"], values["ntk"])
    return namedtuple("Kernel", names)(*(values[g] for g in names))


class _Serial(tuple):
    """``(init_fn, apply_fn, kernel_fn)`` of a chain (also usable inside another serial)."""

    layers: List[_Layer]


def serial(*layers: Any) -> _Serial:
    """Combine layers in sequence: returns ``(init_fn, apply_fn, kernel_fn)``.

    - ``init_fn(key, input_shape)`` -> ``(output_shape, params)``: ``key`` an int seed or a
      JAX key; ``params`` a list with ``(W, b)`` per Dense and ``()`` per activation.
    - ``apply_fn(params, x)`` -> ``f(x)``, ``n x out_dim``.
    - ``kernel_fn(x1, x2=None, get=None)`` -> an array for a string ``get``, a namedtuple
      ``Kernel(nngp, ntk)`` otherwise (``get=None``: both).
    """
    flat = _flatten(layers)
    desc = _Description(flat)
    net = desc.network

    def init_fn(rng: Any, input_shape: Sequence[int], **_kwargs: Any) -> Tuple[tuple, list]:
        shape = tuple(int(s) for s in input_shape)
        if len(shape) != 2:
            raise NotImplementedError("ntk.nt: inputs must be 2-D (batch, features)")
        raw = _native.init_params(net, shape[-1], desc.hidden or [1], desc.out_dim, _seed(rng))
        params: list = []
        for i, (w, b) in enumerate(raw):
            params.append((w, b))
            if i < len(raw) - 1:
                params.append(())
        return shape[:-1] + (desc.out_dim,), params

    def apply_fn(params: Any, inputs: Any, **_kwargs: Any) -> np.ndarray:
        return _native.apply(net, params, inputs)

    def kernel_fn(x1: Any, x2: Any = None, get: Any = None, **kwargs: Any) -> Any:
        names, _ = _get_tuple(get)
        want_ntk = "ntk" in names
        k = _native.kernels(net, as2d(x1, "x1"), opt2d(x2, "x2"), ntk=want_ntk)
        return _select({"nngp": k.nngp, "ntk": k.ntk}, get)

    for f in (init_fn, apply_fn, kernel_fn):
        f._ntk_network = net  # type: ignore[attr-defined]
        f._ntk_description = desc  # type: ignore[attr-defined]
    out = _Serial((init_fn, apply_fn, kernel_fn))
    out.layers = flat
    return out
