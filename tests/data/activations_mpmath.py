"""40-digit references for the activation duals of issue 12 (mpmath, mp.dps = 40).

For (u, v) ~ N(0, [[q1, c], [c, q2]]), rho = c / sqrt(q1 q2), r = sqrt(1 - rho^2):
u = a x, v = b (rho x + r z), x, z iid N(0, 1), a = sqrt(q1), b = sqrt(q2), and

    T    = E_x[ phi(a x)  G(b rho x, b r) ],   G(m, sigma) = E_z[ phi(m + sigma z) ]
    Tdot = E_x[ phi'(a x) G'(b rho x, b r) ],  G' the same for phi'

The inner Gaussian smoothing G is closed form for GELU and the exponential-linear family
(Mills-ratio identities, written out below) and a tanh-sinh quadrature (mpmath.quad) for
tanh, softplus, SiLU, sigmoid; the outer integral is mpmath.quad on (-inf, 0, inf) (split at
the kink). At r = 0 the integral is one-dimensional. s' = sqrt(T11 T22 - T^2) with
T_ii = E[phi(u_i)^2] (1-D). Inputs are float64 (c and s rounded from a chosen angle; the
reference is exact for the rounded c, and s is that c's sine part to <= 1 ulp).

    python tests/data/activations_mpmath.py > tests/data/activations_mpmath.json

Provenance: mpmath 1.4.1 (pip, in a venv), CPython 3.11. Run time ~10-20 minutes on 2 cores.
"""
import json
import sys
from multiprocessing import Pool

from mpmath import erfc, exp, inf, log, mp, mpf, pi, quad, sqrt, tanh

mp.dps = 40


def npdf(x):
    return exp(-x * x / 2) / sqrt(2 * pi)


def ncdf(x):
    return erfc(-x / sqrt(2)) / 2


def sigm(x):
    return 1 / (1 + exp(-x))


def elu_fns(lam, alpha):
    lam, alpha = mpf(lam), mpf(alpha)

    def phi(x):
        return lam * x if x > 0 else lam * alpha * (exp(x) - 1)

    def dphi(x):
        return lam if x > 0 else lam * alpha * exp(x)

    def g(m, s):  # E phi(m + s z)
        if s == 0:
            return phi(m)
        pos = m * ncdf(m / s) + s * npdf(m / s)
        neg = exp(m + s * s / 2) * ncdf(-(m + s * s) / s) - ncdf(-m / s)
        return lam * (pos + alpha * neg)

    def gd(m, s):
        if s == 0:
            return dphi(m)
        return lam * (ncdf(m / s) + alpha * exp(m + s * s / 2) * ncdf(-(m + s * s) / s))

    return phi, dphi, g, gd


def gelu_fns():
    def phi(x):
        return x * ncdf(x)

    def dphi(x):
        return ncdf(x) + x * npdf(x)

    def g(m, s):  # E[v Phi(v)], v ~ N(m, s^2)
        t = sqrt(1 + s * s)
        return m * ncdf(m / t) + s * s / t * npdf(m / t)

    def gd(m, s):  # E[Phi(v) + v phi(v)]
        t = sqrt(1 + s * s)
        return ncdf(m / t) + m / t**3 * npdf(m / t)

    return phi, dphi, g, gd


def smooth_fns(phi, dphi):
    def smoothing(f):
        def g(m, s):
            if s == 0:
                return f(m)
            return quad(lambda z: f(m + s * z) * npdf(z), [-inf, 0, inf])

        return g

    return phi, dphi, smoothing(phi), smoothing(dphi)


def softplus(x):
    return log(1 + exp(x)) if x < 0 else x + log(1 + exp(-x))


ACTS = {
    "gelu": lambda: gelu_fns(),
    "elu:1": lambda: elu_fns(1, 1),
    "elu:0.3": lambda: elu_fns(1, "0.3"),
    "selu:1.2,0.8": lambda: elu_fns("1.2", "0.8"),
    "tanh": lambda: smooth_fns(tanh, lambda x: 1 - tanh(x) ** 2),
    "softplus": lambda: smooth_fns(softplus, sigm),
    "silu": lambda: smooth_fns(lambda x: x * sigm(x), lambda x: sigm(x) * (1 + x * (1 - sigm(x)))),
    "sigmoid": lambda: smooth_fns(sigm, lambda x: sigm(x) * (1 - sigm(x))),
}

# (q1, q2, angle theta = acos(rho)): generic, tiny and large variances, rho = +-1, near +-1
CASES = [
    (1.0, 1.0, "1.0471975511965977"),  # rho = 0.5
    (0.5, 2.0, "2.5"),
    (1e-6, 1e-6, "0.9"),
    (1e-6, 3.0, "2.0"),
    (6.0, 6.0, "0.3"),
    (1.0, 1.0, "0"),
    (0.7, 1.9, "0"),
    (1.3, 1.3, "pi"),
    (1.0, 1.0, "1e-7"),
    (1.0, 1.0000001, "1e-6"),
    (2.0, 2.0, "3.1415"),
]


def angle(t):
    return pi if t == "pi" else mpf(t)


def case_inputs(q1, q2, th):
    rr = sqrt(mpf(q1)) * sqrt(mpf(q2))
    c = float(rr * mp.cos(th))
    s = float(rr * mp.sin(th))
    if th == 0:
        c, s = float(rr), 0.0
    if th == pi:
        c, s = -float(rr), 0.0
    return c, s


def expect(f, g, q1, q2, c, s):
    # the covariance (c, s) means: rho = c / R away from +-1; near +-1 (|rho| > 1/2) the sine
    # part s = R r is the accurate datum (as in ntk, which carries it), so r = s / R there
    a, b = sqrt(mpf(q1)), sqrt(mpf(q2))
    rho = mpf(c) / (a * b)
    if abs(rho) > 0.5:
        r = min(mpf(s) / (a * b), mpf(1))
        rho = (1 if c > 0 else -1) * sqrt(1 - r * r)
    else:
        r = sqrt(1 - rho * rho)
    return quad(lambda x: f(a * x) * g(b * rho * x, b * r) * npdf(x), [-inf, 0, inf])


def lambda_free_work(item):
    i, it = item
    return i, work(it)


def work(item):
    name, (q1, q2, t) = item
    phi, dphi, g, gd = ACTS[name]()
    th = angle(t)
    c, s = case_inputs(q1, q2, th)
    if q1 == q2 and s == 0.0 and c > 0:
        c = q1  # exactly the variance
    if q1 == q2 and s == 0.0 and c < 0:
        c = -q1
    tt = expect(phi, g, q1, q2, c, s)
    td = expect(dphi, gd, q1, q2, c, s)
    t11 = expect(phi, g, q1, q1, q1, 0.0)
    t22 = expect(phi, g, q2, q2, q2, 0.0)
    sn = sqrt(max(t11 * t22 - tt * tt, mpf(0)))
    return dict(
        activation=name, q1=q1, q2=q2, c=c, s=s,
        t=mp.nstr(tt, 40), tdot=mp.nstr(td, 40), s_new=mp.nstr(sn, 40),
        t11=mp.nstr(t11, 40), t22=mp.nstr(t22, 40),
    )


# the Hermite-series activations need a nested quadrature: fewer cases
SMOOTH = {"tanh", "softplus", "silu", "sigmoid"}
CASES_SMOOTH = [CASES[i] for i in (0, 1, 5, 7, 8)]

if __name__ == "__main__":
    # JSON lines as results arrive (order restored at the end), so a partial run is usable;
    # argv[1] = "closed" or "smooth" selects a part, argv[2] a comma list of case indices
    part = sys.argv[1] if len(sys.argv) > 1 else "all"
    pick = None if len(sys.argv) <= 2 else [int(i) for i in sys.argv[2].split(",")]
    items = [
        (n, cs)
        for n in ACTS
        if part == "all" or (part == "smooth") == (n in SMOOTH)
        for i, cs in enumerate(CASES_SMOOTH if n in SMOOTH else CASES)
        if pick is None or i in pick
    ]
    done = {}
    with Pool(2) as p:
        for i, res in p.imap_unordered(lambda_free_work, list(enumerate(items)), chunksize=1):
            done[i] = res
            print(json.dumps(res), file=sys.stderr, flush=True)
    out = [done[i] for i in sorted(done)]
    json.dump(dict(meta=dict(generator="tests/data/activations_mpmath.py", dps=40), cases=out),
              sys.stdout, indent=1)
