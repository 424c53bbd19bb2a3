"""One neural-tangents measurement in its own process (so that its peak RSS is its own).

Prints one JSON line: {"first_s", "time_s" (median of the timed calls after the first),
"peak_rss_mb", ...}. Called by compare.py; not meant to be run by hand.
"""
import argparse, json, resource, statistics, sys, time

import numpy as np
import jax

jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp
import neural_tangents as nt
from neural_tangents import stax


def network(act, depth, w, b, width=512, deg=None):
    if act == "relu":
        a = stax.Relu()
    elif act == "erf":
        a = stax.Erf()
    elif act == "selu":
        a = stax.ElementwiseNumerical(fn=jax.nn.selu, deg=deg)
    else:
        raise SystemExit(f"unknown activation {act}")
    layers = []
    for _ in range(depth):
        layers += [stax.Dense(width, W_std=w, b_std=b), a]
    layers += [stax.Dense(1, W_std=w, b_std=b)]
    return stax.serial(*layers)


def timed(fn, reps):
    t0 = time.perf_counter()
    out = fn()
    first = time.perf_counter() - t0
    times = [first] if reps == 0 else []
    for _ in range(reps):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return out, first, statistics.median(times)


def block(x):
    return jax.tree_util.tree_map(lambda a: a.block_until_ready() if hasattr(a, "block_until_ready") else a, x)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("case")
    p.add_argument("--x")
    p.add_argument("--act", default="relu")
    p.add_argument("--depth", type=int, default=3)
    p.add_argument("--w", type=float, default=1.4142135623730951)
    p.add_argument("--b", type=float, default=0.1)
    p.add_argument("--deg", type=int, default=25)
    p.add_argument("--width", type=int, default=512)
    p.add_argument("--impl", default="structured")
    p.add_argument("--params-out")
    p.add_argument("--kernel")
    p.add_argument("--y")
    p.add_argument("--ntimes", type=int, default=100)
    p.add_argument("--out", nargs="*", default=[])
    p.add_argument("--reps", type=int, default=1)
    a = p.parse_args()
    res = {}
    if a.case in ("analytic", "selu"):
        x = np.load(a.x)
        _, _, kernel_fn = network(a.act, a.depth, a.w, a.b, deg=a.deg)
        kf = jax.jit(kernel_fn, static_argnames="get")
        k, first, t = timed(lambda: block(kf(x, None, ("nngp", "ntk"))), a.reps)
        res.update(first_s=first, time_s=t)
        for path, m in zip(a.out, (k.nngp, k.ntk)):
            np.save(path, np.asarray(m))
    elif a.case == "empirical":
        x = np.load(a.x)
        init_fn, apply_fn, _ = network("relu", a.depth, a.w, a.b, width=a.width)
        _, params = init_fn(jax.random.PRNGKey(0), (-1, x.shape[1]))
        impl = {"jacobian": nt.NtkImplementation.JACOBIAN_CONTRACTION,
                "vector": nt.NtkImplementation.NTK_VECTOR_PRODUCTS,
                "structured": nt.NtkImplementation.STRUCTURED_DERIVATIVES}[a.impl]
        f = jax.jit(nt.empirical_ntk_fn(apply_fn, trace_axes=(), vmap_axes=0, implementation=impl))
        k, first, t = timed(lambda: block(f(x, None, params)), a.reps)
        res.update(first_s=first, time_s=t)
        if a.params_out:
            # the layout of reference.json `empirical_ntk.params`: {"W", "b"} per Dense, null otherwise
            layers = [None if not p_ else {"W": np.asarray(p_[0]).tolist(), "b": np.asarray(p_[1]).tolist()}
                      for p_ in params]
            with open(a.params_out, "w") as fh:
                json.dump(layers, fh)
        for path in a.out:
            np.save(path, np.asarray(k).reshape(x.shape[0], x.shape[0]))
    elif a.case == "predict":
        k = np.load(a.kernel)
        y = np.load(a.y)
        times = np.concatenate([[0.0], np.logspace(-2, 4, a.ntimes - 1)])

        def run():
            pred = nt.predict.gradient_descent_mse(k, y, learning_rate=1.0)
            return block(pred(times, np.zeros_like(y)))

        out, first, t = timed(run, a.reps)
        res.update(first_s=first, time_s=t)
        for path in a.out:
            np.save(path, np.asarray(out))
    elif a.case == "eigh":
        k = np.load(a.kernel)
        _, first, t = timed(lambda: np.linalg.eigh(k), a.reps)
        res.update(first_s=first, time_s=t)
    else:
        raise SystemExit(f"unknown case {a.case}")
    res["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(json.dumps(res))


if __name__ == "__main__":
    main()
