"""40-digit references for the smooth activations of issue 12 (tanh, softplus, SiLU, sigmoid),
independent of ntk's Hermite-series method: the 2-D Gaussian expectation itself by the
trapezoidal rule in mpmath (mp.dps = 40, working precision 50 digits).

For (u, v) ~ N(0, [[q1, c], [c, q2]]), rho = c / sqrt(q1 q2), r = sqrt(1 - rho^2),
u = a x, v = b (rho x + r z), x, z iid N(0, 1), a = sqrt(q1), b = sqrt(q2):

    T    = sum_i sum_j w_i w_j phi(a x_i)  phi(b (rho x_i + r z_j))
    Tdot = sum_i sum_j w_i w_j phi'(a x_i) phi'(b (rho x_i + r z_j)),   w = h npdf(node)

on the grids x_i = i h_x, z_j = j h_z, |node| <= 14.7 (npdf beyond is < 1e-47). Why this is
accurate to ~1e-45: each integrand is analytic in a strip |Im| < d about the real axis (phi's
poles/branch points are at Im y = pi/2 for tanh and Im y = pi for the others; in x the strip is
min(w_phi / a, w_phi / (b |rho|)), the Gaussian smoothing over z being analytic wherever phi
is; in z it is w_phi / (b r)), and the trapezoidal rule's error there is ~ M exp(-2 pi d / h)
(Trefethen & Weideman 2014, SIAM Review 56, Thm 5.1). With d = 0.9 of the strip (at most 3)
and h = 2 pi d / 112 the error is < 1e-46 M. Every value is also computed with a 1.25x coarser
step (error bound ~1e-39); the largest relative difference between the two is written to
`step_check` per case and in `meta` (an upper bound on the coarse step's error, so the fine
step's is smaller still: it must be far below 1e-20 for the 1e-12 test).

At rho = +-1 (r = 0) the expectation is 1-D (v = +-b x). T11, T22 = E[phi(u_i)^2] are 1-D.
s' = sqrt(T11 T22 - T^2). Inputs (c, s) are float64 as in tests/data/activations_mpmath.py:
c and s rounded from a chosen angle; away from rho = +-1 (|rho| <= 1/2) rho is taken from c,
near +-1 from s (r = s / sqrt(q1 q2)), matching the datum ntk treats as accurate.

The `deep` part: depth-3 NNGP and NTK (NTK parameterization, W_std, b_std given) of two
points by the layer recursion (docs/math.md), every layer's T, Tdot and variances by the
same quadrature: a 2 x 2 kernel to compare with `ntk::kernel::kernels`.

    python tests/data/activations_smooth_mpmath.py > tests/data/activations_smooth_mpmath.json

Provenance: mpmath 1.4.1 (pip, no gmpy2), numpy unused, CPython 3.11; Pool(2).
"""
import json
import sys
import time
from multiprocessing import Pool

from mpmath import exp, log1p, mp, mpf, pi, sqrt

mp.dps = 50  # working precision; the references are printed to 40 digits
L = mpf("14.7")
OUT_DIGITS = 40


def sigm_pair(y):
    """(sigmoid(y), sigmoid(-y)) from one exp, without cancellation."""
    e = exp(-abs(y))
    p, m = 1 / (1 + e), e / (1 + e)
    return (p, m) if y >= 0 else (m, p)


def f_tanh(y):
    # tanh(y) = sigmoid(2y) - sigmoid(-2y), tanh' = 4 sigmoid(2y) sigmoid(-2y)
    p, m = sigm_pair(2 * y)
    return p - m, 4 * p * m


def f_softplus(y):
    e = exp(-abs(y))
    p, m = (1 / (1 + e), e / (1 + e))
    sp = (y if y > 0 else 0) + log1p(e)
    return sp, (p if y >= 0 else m)


def f_silu(y):
    p, m = sigm_pair(y)
    return y * p, p * (1 + y * m)


def f_sigmoid(y):
    p, m = sigm_pair(y)
    return p, p * m


ACTS = {
    "tanh": (f_tanh, pi / 2),
    "softplus": (f_softplus, pi),
    "silu": (f_silu, pi),
    "sigmoid": (f_sigmoid, pi),
}


def npdf(x):
    return exp(-x * x / 2) / sqrt(2 * pi)


def grid(strip, scale):
    """Trapezoidal nodes and weights for N(0, 1) against an integrand with the given strip."""
    d = min(mpf("0.9") * strip, mpf(3))
    h = 2 * pi * d / 112 * scale
    n = int(L / h) + 1
    xs = [k * h for k in range(-n, n + 1)]
    ws = [h * npdf(x) for x in xs]
    return xs, ws


def strip_of(wf, *coefs):
    """Half-width of analyticity of x -> phi(k x) for all the given |k| (inf if all 0)."""
    ks = [abs(k) for k in coefs if k != 0]
    return min(wf / k for k in ks) if ks else mpf(1e9)


def expect_1d(fn, wf, a, b, scale):
    """(E[phi(a x) phi(b x)], E[phi'(a x) phi'(b x)])."""
    xs, ws = grid(strip_of(wf, a, b), scale)
    t = td = mpf(0)
    for x, w in zip(xs, ws):
        f1, d1 = fn(a * x)
        f2, d2 = fn(b * x)
        t += w * f1 * f2
        td += w * d1 * d2
    return t, td


def expect_2d(fn, wf, a, b, rho, r, scale):
    xs, wx = grid(strip_of(wf, a, b * rho), scale)
    zs, wz = grid(strip_of(wf, b * r), scale)
    br = b * r
    bz = [br * z for z in zs]
    t = td = mpf(0)
    for x, w in zip(xs, wx):
        f1, d1 = fn(a * x)
        m = b * rho * x
        gi = gd = mpf(0)
        for y, v in zip(bz, wz):
            f2, d2 = fn(m + y)
            gi += v * f2
            gd += v * d2
        t += w * f1 * gi
        td += w * d1 * gd
    return t, td


def dual(name, q1, q2, c, s, scale=1):
    """(T, Tdot) for float64 inputs (q1, q2, c, s), rho from c or s (module docs)."""
    fn, wf = ACTS[name]
    a, b = sqrt(mpf(q1)), sqrt(mpf(q2))
    rr = a * b
    if s == 0:
        return expect_1d(fn, wf, a, b if c > 0 else -b, scale)
    rho = mpf(c) / rr
    if abs(rho) > 0.5:
        rt = min(mpf(s) / rr, mpf(1))
        rho = (1 if c > 0 else -1) * sqrt(1 - rt * rt)
    else:
        rt = sqrt(1 - rho * rho)
    return expect_2d(fn, wf, a, b, rho, rt, scale)


def var(name, q, scale=1):
    fn, wf = ACTS[name]
    a = sqrt(mpf(q))
    return expect_1d(fn, wf, a, a, scale)[0]


def rel(x, y):
    return abs(x - y) / max(abs(x), abs(y), mpf(10) ** -60)


# (q1, q2, angle theta = acos(rho)): rho = 1/2 generic, rho = 0 exactly, unequal norms (both
# signs), tiny (1e-6) and large variances (tanh's series supports q up to ~15, the others ~60),
# rho = +-1 exactly (equal and unequal norms), near +1 (1e-7; 1e-6 with unequal norms), near -1
CASES = [
    (1.0, 1.0, "1.0471975511965977"),
    (1.0, 1.0, "pi/2"),
    (0.5, 2.0, "2.5"),
    (0.3, 4.0, "1.2"),
    (1e-6, 1e-6, "0.9"),
    (1e-6, 3.0, "2.0"),
    (6.0, 6.0, "0.3"),
    ("big", "big", "1.9"),
    (1.0, 1.0, "0"),
    (0.7, 1.9, "0"),
    (1.3, 1.3, "pi"),
    (0.4, 2.5, "pi"),
    (1.0, 1.0, "1e-7"),
    (1.0, 1.0000001, "1e-6"),
    (2.0, 2.0, "3.1415"),
]
BIG = {"tanh": 12.0, "softplus": 40.0, "silu": 40.0, "sigmoid": 40.0}


def case_inputs(q1, q2, t):
    rr = sqrt(mpf(q1)) * sqrt(mpf(q2))
    if t == "0":
        return float(rr) if q1 != q2 else q1, 0.0
    if t == "pi":
        return -float(rr) if q1 != q2 else -q1, 0.0
    if t == "pi/2":
        return 0.0, float(rr)
    th = mpf(t)
    return float(rr * mp.cos(th)), float(rr * mp.sin(th))


def work_case(item):
    name, (q1, q2, t) = item
    if q1 == "big":
        q1 = q2 = BIG[name]
    c, s = case_inputs(q1, q2, t)
    t0 = time.time()
    tt, td = dual(name, q1, q2, c, s)
    t11, t22 = var(name, q1), var(name, q2)
    # the step check: the same with a 1.25x coarser step
    tt8, td8 = dual(name, q1, q2, c, s, scale=mpf("1.25"))
    chk = max(rel(tt, tt8), rel(td, td8), rel(t11, var(name, q1, mpf("1.25"))))
    sn = sqrt(max(t11 * t22 - tt * tt, mpf(0)))
    return dict(
        activation=name, q1=q1, q2=q2, c=c, s=s,
        t=mp.nstr(tt, OUT_DIGITS), tdot=mp.nstr(td, OUT_DIGITS), s_new=mp.nstr(sn, OUT_DIGITS),
        t11=mp.nstr(t11, OUT_DIGITS), t22=mp.nstr(t22, OUT_DIGITS),
        step_check=float(chk), seconds=round(time.time() - t0, 1),
    )


# the deep case: two points in R^3, depth 3, NTK parameterization
DEEP_X = [[1.0, 0.5, -0.25], [0.3, -1.0, 0.8]]
DEEP_NET = dict(depth=3, W_std=1.5, b_std=0.1)


def work_deep(name):
    t0 = time.time()
    x1, x2 = ([mpf(v) for v in x] for x in DEEP_X)
    d = len(x1)
    dot = lambda u, v: sum(p * q for p, q in zip(u, v)) / d  # noqa: E731
    q1, q2, c = dot(x1, x1), dot(x2, x2), dot(x1, x2)
    w2, b2 = mpf(DEEP_NET["W_std"]) ** 2, mpf(DEEP_NET["b_std"]) ** 2
    th = [mpf(0)] * 3  # Theta for (1,1), (2,2), (1,2)
    k = [q1, q2, c]
    fn, wf = ACTS[name]
    for _ in range(DEEP_NET["depth"]):
        k = [w2 * v + b2 for v in k]
        th = [k[i] + w2 * th[i] for i in range(3)]
        a, b = sqrt(k[0]), sqrt(k[1])
        rho = k[2] / (a * b)
        t11, d11 = expect_1d(fn, wf, a, a, 1)
        t22, d22 = expect_1d(fn, wf, b, b, 1)
        t12, d12 = expect_2d(fn, wf, a, b, rho, sqrt(1 - rho * rho), 1)
        k = [t11, t22, t12]
        th = [th[0] * d11, th[1] * d22, th[2] * d12]
    k = [w2 * v + b2 for v in k]
    th = [k[i] + w2 * th[i] for i in range(3)]
    as_mat = lambda v: [[mp.nstr(v[0], OUT_DIGITS), mp.nstr(v[2], OUT_DIGITS)],  # noqa: E731
                        [mp.nstr(v[2], OUT_DIGITS), mp.nstr(v[1], OUT_DIGITS)]]
    return dict(activation=name, x=DEEP_X, **DEEP_NET, nngp=as_mat(k), ntk=as_mat(th),
                seconds=round(time.time() - t0, 1))


def work(item):
    i, (kind, it) = item
    return i, (work_case(it) if kind == "case" else work_deep(it))


if __name__ == "__main__":
    # argv[1]: optional comma list of activations (default all)
    names = sys.argv[1].split(",") if len(sys.argv) > 1 else list(ACTS)
    items = [("case", (n, cs)) for n in names for cs in CASES] + [("deep", n) for n in names]
    done = {}
    t0 = time.time()
    with Pool(2) as p:
        for i, res in p.imap_unordered(work, list(enumerate(items)), chunksize=1):
            done[i] = res
            print(json.dumps(res), file=sys.stderr, flush=True)
    out = [done[i] for i in sorted(done)]
    cases = [o for o in out if "q1" in o]
    meta = dict(
        generator="tests/data/activations_smooth_mpmath.py", dps=OUT_DIGITS, working_dps=mp.dps,
        mpmath="1.4.1", method="2-D trapezoidal rule, strip-limited step (see the generator)",
        step_check=max(o["step_check"] for o in cases),
        seconds=round(time.time() - t0),
    )
    json.dump(dict(meta=meta, cases=cases, deep=[o for o in out if "nngp" in o]),
              sys.stdout, indent=1)
