"""neural-tangents' Gauss-Hermite activations (stax.ElementwiseNumerical, deg 25) for tanh,
softplus, SiLU, sigmoid: kernels and wall time (after a jit warm-up, median of 3) on a fixed
input, written as JSON for examples/nt_numerical.rs, which times ntk on the same input and
reports neural-tangents' error against it. Not a test (needs JAX).

    python benches/nt/numerical.py N > target/nt_numerical.json
"""
import json
import sys
import time

import jax

jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402
import numpy as onp  # noqa: E402
from neural_tangents import stax  # noqa: E402

n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
d = 16
rng = onp.random.default_rng(3)
common = rng.normal(size=d)
X = 0.8 * common + 0.6 * rng.normal(size=(n, d))
FNS = {
    "tanh": jnp.tanh,
    "softplus": jax.nn.softplus,
    "silu": jax.nn.silu,
    "sigmoid": jax.nn.sigmoid,
}
out = dict(x=X.tolist(), depth=3, W_std=1.3, b_std=0.1, deg=25, cases=[])
for name, fn in FNS.items():
    layers = []
    for _ in range(3):
        layers += [stax.Dense(512, W_std=1.3, b_std=0.1), stax.ElementwiseNumerical(fn, deg=25)]
    layers += [stax.Dense(1, W_std=1.3, b_std=0.1)]
    _, _, kfn = stax.serial(*layers)
    kfn = jax.jit(kfn, static_argnames="get")
    k = kfn(jnp.asarray(X), None, get=("nngp", "ntk"))
    k.ntk.block_until_ready()
    ts = []
    for _ in range(3):
        t0 = time.perf_counter()
        k = kfn(jnp.asarray(X), None, get=("nngp", "ntk"))
        k.ntk.block_until_ready()
        ts.append(time.perf_counter() - t0)
    out["cases"].append(
        dict(activation=name, seconds=sorted(ts)[1], nngp=onp.asarray(k.nngp).tolist(),
             ntk=onp.asarray(k.ntk).tolist())
    )
    print(name, sorted(ts)[1], file=sys.stderr)
json.dump(out, sys.stdout)
