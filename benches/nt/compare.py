"""ntk vs neural-tangents, side by side: see run.sh. Writes target/nt-bench/results.{md,json}."""
import argparse, json, os, platform, statistics, subprocess, sys, tempfile, time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
PY = sys.executable


def run(cmd, env=None):
    """Run a command; return (wall seconds, peak RSS in MB of that process, stdout)."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    out = p.stdout.read().decode()
    err = p.stderr.read().decode()
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd))} failed:\n{err[-2000:]}")
    return wall, ru.ru_maxrss / 1024.0, out


def rel(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


def med(xs):
    return statistics.median(xs) if xs else float("nan")


class Bench:
    def __init__(self, args):
        self.a = args
        self.tmp = Path(tempfile.mkdtemp(prefix="ntk-nt-"))
        self.rows = []
        self.threads = args.threads

    def data(self, n, d=784, seed=0):
        path = self.tmp / f"x_{n}_{d}_{seed}.npy"
        if not path.exists():
            np.save(path, np.random.default_rng(seed).normal(size=(n, d)))
        return path

    def nt(self, *args):
        _, rss, out = run([PY, str(HERE / "nt_worker.py"), *map(str, args)])
        return json.loads(out.strip().splitlines()[-1]), rss

    def analytic(self, act, n, depth=3, w=1.4142135623730951, b=0.1, deg=None):
        x = self.data(n)
        ours = {"wall": [], "inproc": [], "rss": []}
        theirs = {"wall": [], "inproc": [], "rss": []}
        k_nt = [self.tmp / "nt_nngp.npy", self.tmp / "nt_ntk.npy"]
        k_us = [self.tmp / "us_nngp.npy", self.tmp / "us_ntk.npy"]
        for rep in range(self.a.reps):
            order = ["us", "nt"] if rep % 2 == 0 else ["nt", "us"]
            for who in order:
                if who == "us":
                    wall, rss, _ = run([self.a.ntk, "kernel", "--x", x, "--activation", act, "--depth", str(depth),
                                        "--w-std", str(w), "--b-std", str(b), "--nngp-out", k_us[0],
                                        "--ntk-out", k_us[1], "--threads", str(self.threads), "--quiet"])
                    sc = json.loads((Path(str(k_us[1]) + ".json")).read_text())
                    ours["wall"].append(wall); ours["rss"].append(rss); ours["inproc"].append(sc["timing_s"])
                else:
                    case = "selu" if act == "selu" else "analytic"
                    extra = ["--deg", str(deg)] if deg else []
                    # whole process, one call (import + jit + compute + save)
                    wall, rss, _ = run([PY, HERE / "nt_worker.py", case, "--x", x, "--act", act, "--depth", str(depth),
                                        "--w", str(w), "--b", str(b), "--reps", "0", *extra, "--out", *k_nt])
                    theirs["wall"].append(wall); theirs["rss"].append(rss)
                    # in process, second call
                    r, _ = self.nt(case, "--x", x, "--act", act, "--depth", depth, "--w", w, "--b", b,
                                   "--reps", "1", *extra)
                    theirs["inproc"].append(r["time_s"])
        agree = max(rel(np.load(k_nt[i]), np.load(k_us[i])) for i in range(2))
        name = f"analytic {act} L={depth} n={n} d=784" + (f" (nt: Gauss-Hermite deg {deg})" if deg else "")
        self.rows.append(dict(case=name, ntk_inproc=med(ours["inproc"]), nt_inproc=med(theirs["inproc"]),
                              ntk_wall=med(ours["wall"]), nt_wall=med(theirs["wall"]),
                              ntk_rss_mb=max(ours["rss"]), nt_rss_mb=max(theirs["rss"]),
                              max_rel_diff=agree))
        self.report()

    def report(self):
        out = ROOT / "target" / "nt-bench"
        out.mkdir(parents=True, exist_ok=True)
        (out / "results.json").write_text(json.dumps(self.rows, indent=1))
        lines = [f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; ntk threads: "
                 f"{self.threads or 'all'}; reps: {self.a.reps} (medians)", "",
                 "| case | ntk in-process s | nt in-process s | ratio | ntk whole process s | nt whole process s "
                 "| ratio | ntk peak RSS MB | nt peak RSS MB | max rel diff |",
                 "|---|---|---|---|---|---|---|---|---|---|"]
        for r in self.rows:
            lines.append(f"| {r['case']} | {r['ntk_inproc']:.3f} | {r['nt_inproc']:.3f} | "
                         f"{r['nt_inproc'] / r['ntk_inproc']:.1f}x | {r['ntk_wall']:.2f} | {r['nt_wall']:.2f} | "
                         f"{r['nt_wall'] / r['ntk_wall']:.1f}x | {r['ntk_rss_mb']:.0f} | {r['nt_rss_mb']:.0f} | "
                         f"{r['max_rel_diff']:.1e} |")
        text = "\n".join(lines)
        (out / "results.md").write_text(text + "\n")
        print(text, flush=True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--ntk", required=True)
    p.add_argument("--limits")
    p.add_argument("--quick", action="store_true")
    p.add_argument("--only", default="")
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--threads", type=int, default=0)
    a = p.parse_args()
    if a.quick:
        a.reps = 1
    b = Bench(a)
    want = lambda k: not a.only or a.only == k
    sizes = [1000, 2000] if a.quick else [1000, 2000, 4000, 8000]
    if want("analytic"):
        for n in sizes:
            b.analytic("relu", n)
        b.analytic("erf", 2000 if not a.quick else 1000)
    if want("selu"):
        for deg in ([10] if a.quick else [10, 25]):
            b.analytic("selu", 1000 if a.quick else 2000, w=1.0, b=0.0, deg=deg)


if __name__ == "__main__":
    main()
