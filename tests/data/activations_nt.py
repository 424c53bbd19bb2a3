"""neural-tangents 0.6.5 (float64) fixtures for the closed-form activations of issue 12.

Provenance: run with a venv pinned as /work/shared/refs/requirements-nt.txt (jax/jaxlib
0.4.25, neural-tangents 0.6.5, numpy 1.26.4); tensorflow was not installed, so
neural_tangents/__init__.py's `from . import experimental` (jax2tf tools only) was wrapped in
try/except ImportError. Nothing else was changed. Output: tests/data/activations_nt.json.

    python tests/data/activations_nt.py > tests/data/activations_nt.json

Every network is Dense(W_std, b_std) -> act -> ... (depth hidden pairs) -> Dense(1) in NTK
parameterization, on inputs without duplicate or antipodal rows (neural-tangents' own error
at correlation +-1 is set aside, as for ReLU in reference.json).
"""
import json
import sys

import jax

jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402
import neural_tangents as nt  # noqa: E402
import numpy as onp  # noqa: E402
from neural_tangents import stax  # noqa: E402

rng = onp.random.default_rng(20261201)
X1 = rng.normal(size=(6, 5))
X1[3] = 0.05 * X1[3]  # a small-norm row
X1[4] = 3.0 * X1[4]  # a large-norm row
X2 = rng.normal(size=(4, 5))

# (our activation text, neural-tangents layer)
ACTS = [
    ("relu", stax.Relu()),
    ("leaky_relu:0.1", stax.LeakyRelu(0.1)),
    ("abs", stax.Abs()),
    ("abrelu:-0.5,2", stax.ABRelu(-0.5, 2.0)),
    ("identity", stax.Identity()),
    ("gelu", stax.Gelu(approximate=False)),
    ("erf", stax.Erf()),
    ("erf:1.5,0.7,0.2", stax.Erf(a=1.5, b=0.7, c=0.2)),
    ("erf_sigmoid", stax.Sigmoid_like()),
]
NETS = [
    dict(depth=3, W_std=1.3, b_std=0.2),
    dict(depth=2, W_std=0.8, b_std=None),
]

cases = []
for name, layer in ACTS:
    for net in NETS:
        layers = []
        for _ in range(net["depth"]):
            layers += [stax.Dense(512, W_std=net["W_std"], b_std=net["b_std"]), layer]
        layers += [stax.Dense(1, W_std=net["W_std"], b_std=net["b_std"])]
        _, _, kfn = stax.serial(*layers)
        for x2name in [None, "x2"]:
            x2 = None if x2name is None else jnp.asarray(X2)
            k = kfn(jnp.asarray(X1), x2, ("nngp", "ntk"))
            cases.append(
                dict(
                    activation=name,
                    x2=x2name,
                    nngp=onp.asarray(k.nngp).tolist(),
                    ntk=onp.asarray(k.ntk).tolist(),
                    **net,
                )
            )

json.dump(
    dict(
        meta=dict(
            generator="tests/data/activations_nt.py",
            neural_tangents=nt.__version__,
            jax=jax.__version__,
            float64=True,
            parameterization="ntk",
        ),
        x1=X1.tolist(),
        x2=X2.tolist(),
        cases=cases,
    ),
    sys.stdout,
    indent=1,
)
