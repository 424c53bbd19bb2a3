"""neural-tangents' Gauss-Hermite activations (stax.ElementwiseNumerical, deg 25) for tanh,
softplus, SiLU, sigmoid, ELU (alpha 1) and SELU (JAX's constants, equal in f64 to ntk's
`selu`): kernels and wall time (after a jit warm-up, median of 3) on a fixed
input, written as JSON for examples/nt_numerical.rs, which times ntk on the same input and
reports neural-tangents' error against it. Each case's "activation" is the string that
ntk's `Activation::parse` reads. Not a test (needs JAX).

    python benches/nt/numerical.py N [NAME,NAME...] > target/nt_numerical.json
    python benches/nt/numerical.py x6 [NAME,NAME...] > target/nt_numerical_x6.json

`x6` is a second point: shared/refs' `X6` input (default_rng(0).normal(size=(6, 5))) with
depth 3, W_std 1.0, b_std 0.0, the setting of refs' `selu_L3_W1.0_b0.0_ntk_X6` case.
"""
import json
import sys
import time

import jax

jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402
import numpy as onp  # noqa: E402
from neural_tangents import stax  # noqa: E402

arg = sys.argv[1] if len(sys.argv) > 1 else "200"
only = sys.argv[2].split(",") if len(sys.argv) > 2 else None
if arg == "x6":
    X = onp.random.default_rng(0).normal(size=(6, 5))
    depth, W_std, b_std = 3, 1.0, 0.0
else:
    n, d = int(arg), 16
    rng = onp.random.default_rng(3)
    common = rng.normal(size=d)
    X = 0.8 * common + 0.6 * rng.normal(size=(n, d))
    depth, W_std, b_std = 3, 1.3, 0.1
FNS = {
    "tanh": jnp.tanh,
    "softplus": jax.nn.softplus,
    "silu": jax.nn.silu,
    "sigmoid": jax.nn.sigmoid,
    "elu": jax.nn.elu,  # alpha 1 (jax's default; ntk parses "elu" as alpha 1)
    "selu": jax.nn.selu,  # lambda 1.0507009873554804934..., alpha 1.6732632423543772848...
}
out = dict(x=X.tolist(), depth=depth, W_std=W_std, b_std=b_std, deg=25, cases=[])
for name, fn in FNS.items():
    if only is not None and name not in only:
        continue
    layers = []
    for _ in range(depth):
        layers += [stax.Dense(512, W_std=W_std, b_std=b_std), stax.ElementwiseNumerical(fn, deg=25)]
    layers += [stax.Dense(1, W_std=W_std, b_std=b_std)]
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
