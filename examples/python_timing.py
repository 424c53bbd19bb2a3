"""Timing of the Python package's kernel paths (the numbers in docs/python.md, "Measured").

    python examples/python_timing.py    # after `pip install .`; run from the repository root

NNGP + NTK of the UCI digits (1797 x 64), ReLU depth 3: ntk.kernels (banded, interruptible)
against the library's one-call schedule, the CLI, and NTK.diag against the full kernel.
Best of 3 wall-clock runs. Not run by CI (timings are not tests).
"""

import os
import subprocess
import tempfile
import time

import ntk
from ntk.sklearn import NTK


def best(f, r=3):
    ts = []
    for _ in range(r):
        t = time.perf_counter()
        f()
        ts.append(time.perf_counter() - t)
    return min(ts)


x, _ = ntk.dataset("digits")
net = ntk.Network("relu", 3, 1.4142, 0.0)
for th in (1, 2):
    a = best(lambda: ntk.kernels(net, x, threads=th))
    b = best(lambda: ntk._ntk.kernels(net.to_json(), x, None, True, th, None, True))
    print(f"threads={th}: ntk.kernels (banded, interruptible) {a:.3f} s; library schedule in one call {b:.3f} s")
cli = os.path.join("target", "release", "ntk")
if os.path.exists(cli):
    d = tempfile.mkdtemp()
    c = best(lambda: subprocess.run(
        [cli, "kernel", "--dataset", "digits", "--activation", "relu", "--depth", "3", "--w-std", "1.4142",
         "--b-std", "0", "--ntk-out", os.path.join(d, "k.npy"), "--nngp-out", os.path.join(d, "g.npy"),
         "--threads", "2", "--quiet"], check=True))
    print(f"CLI ntk kernel (digits, threads=2, incl. writing 2 x 26 MB .npy): {c:.3f} s")
k = NTK(depth=3, w_std=1.4142, b_std=0.0)
print(f"NTK.diag(digits): {best(lambda: k.diag(x)):.3f} s vs full kernel {best(lambda: k(x), 1):.3f} s")
