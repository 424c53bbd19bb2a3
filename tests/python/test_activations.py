"""Every activation layer of ``ntk.nt.stax`` against neural-tangents 0.6.5 (float64) where
neural-tangents has a closed form (ReLU, LeakyReLU, Abs, ABRelu, identity, GELU, erf, erf(a, b,
c), Sigmoid_like; depth 2 without bias and depth 3 with, self and cross kernels), to <= 1e-9
normwise: ../data/activations_nt.json, recorded by tests/data/activations_nt.py (the file the
Rust test tests/activations_nt.rs reads). The layers neural-tangents lacks (ELU, CELU, SELU
with parameters, tanh, softplus, SiLU, sigmoid) against the engine's own kernels, which the
Rust tests check against 40-digit references; bad parameters are ValueErrors."""

import os

import numpy as np
import pytest

import ntk
from conftest import ROOT, load, rel
from ntk.nt import stax

TOL = 1e-9

LAYERS = {
    "relu": stax.Relu,
    "abrelu:-0.5,2": lambda: stax.ABRelu(-0.5, 2),
    "abs": stax.Abs,
    "erf": stax.Erf,
    "erf:1.5,0.7,0.2": lambda: stax.Erf(1.5, 0.7, 0.2),
    "erf_sigmoid": stax.Sigmoid_like,
    "gelu": stax.Gelu,
    "identity": stax.Identity,
    "leaky_relu:0.1": lambda: stax.LeakyRelu(0.1),
}


def chain(act, depth, w, b):
    layers = []
    for _ in range(depth):
        layers += [stax.Dense(512, W_std=w, b_std=b), act()]
    layers.append(stax.Dense(1, W_std=w, b_std=b))
    return stax.serial(*layers)


def test_closed_forms_match_neural_tangents():
    data = load(os.path.join(ROOT, "tests", "data", "activations_nt.json"))
    x1 = np.array(data["x1"])
    x2 = np.array(data["x2"])
    assert sorted({c["activation"] for c in data["cases"]}) == sorted(LAYERS)
    for case in data["cases"]:
        _, _, kernel_fn = chain(LAYERS[case["activation"]], case["depth"], case["W_std"], case["b_std"])
        k = kernel_fn(x1, None if case["x2"] is None else x2, get=("nngp", "ntk"))
        for name, got in (("nngp", k.nngp), ("ntk", k.ntk)):
            want = np.array(case[name])
            assert got.shape == want.shape
            assert rel(got, want) <= TOL, (case["activation"], case["depth"], case["x2"], name)


@pytest.mark.parametrize(
    "layer, spec",
    [
        (lambda: stax.Elu(0.5), "elu:0.5"),
        (lambda: stax.Celu(0.7), "celu:0.7"),
        (lambda: stax.Selu(1.2, 0.8), "selu:1.2,0.8"),
        (stax.Selu, "selu"),
        (stax.Tanh, "tanh"),
        (stax.Softplus, "softplus"),
        (stax.Silu, "silu"),
        (stax.Swish, "silu"),
        (stax.Sigmoid, "sigmoid"),
    ],
)
def test_beyond_neural_tangents_are_the_engine_kernels(layer, spec):
    x = np.random.default_rng(4).normal(size=(7, 5))
    _, _, kernel_fn = chain(layer, 3, 1.3, 0.1)
    k = kernel_fn(x, None, get=("nngp", "ntk"))
    net = ntk.Network(spec, depth=3, w_std=1.3, b_std=0.1)
    want = ntk.kernels(net, x)
    np.testing.assert_array_equal(k.nngp, want.nngp)
    np.testing.assert_array_equal(k.ntk, want.ntk)
    # and the parameters reach the engine: another parameter, another kernel
    if ":" in spec:
        other = ntk.kernels(ntk.Network(spec.split(":")[0], depth=3, w_std=1.3, b_std=0.1), x)
        assert rel(other.nngp, want.nngp) > 1e-6


def test_bad_parameters_and_unsupported_options():
    with pytest.raises(ValueError, match="celu"):
        stax.Celu(-1.0)
    with pytest.raises(ValueError, match="LeakyRelu"):
        stax.LeakyRelu(float("nan"))
    with pytest.raises(NotImplementedError, match="approximate"):
        stax.Gelu(approximate=True)
    with pytest.raises(NotImplementedError, match="Sin"):
        stax.Sin()
