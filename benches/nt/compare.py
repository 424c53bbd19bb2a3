"""ntk vs neural-tangents, side by side: see run.sh. Writes target/nt-bench/results.{md,json}."""
import argparse, json, os, platform, statistics, subprocess, sys, tempfile, time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
PY = sys.executable


def run(cmd, env=None):
    """Run a command; return (wall seconds, peak RSS in MB of that process, stdout). The disk
    is synced first (untimed), so that no command pays for the previous one's dirty pages."""
    os.sync()
    t0 = time.perf_counter()
    p = subprocess.run([PY, str(HERE / "rss_run.py"), *map(str, cmd)], capture_output=True, env=env)
    wall = time.perf_counter() - t0
    err = p.stderr.decode()
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd))} failed:\n{err[-2000:]}")
    rss_kb = int(err.strip().splitlines()[-1].split("=")[1])
    return max(wall - TRAMPOLINE_S, 0.0), rss_kb / 1024.0, p.stdout.decode()


def trampoline_overhead():
    """Seconds the RSS trampoline adds to a command (subtracted from wall times)."""
    global TRAMPOLINE_S
    ts = []
    for _ in range(5):
        t0 = time.perf_counter()
        subprocess.run([PY, str(HERE / "rss_run.py"), "true"], capture_output=True)
        ts.append(time.perf_counter() - t0)
    TRAMPOLINE_S = statistics.median(ts)


TRAMPOLINE_S = 0.0


def rel(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


def med(xs):
    return statistics.median(xs) if xs else float("nan")


class Bench:
    def __init__(self, args):
        self.a = args
        self.tmp = Path(tempfile.mkdtemp(prefix="ntk-nt-"))
        # in memory, for ntk's in-process runs: neural-tangents' in-process time is a call that
        # leaves the kernels in memory, so ours writes them to RAM (tmpfs), not to the disk
        shm = Path("/dev/shm")
        self.ram = Path(tempfile.mkdtemp(prefix="ntk-nt-", dir=shm)) if shm.is_dir() and os.access(shm, os.W_OK) \
            else self.tmp
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
        ours = {"wall": [], "inproc": [], "inproc_disk": [], "mem": [], "rss": []}
        theirs = {"wall": [], "inproc": [], "rss": []}
        k_nt = [self.tmp / "nt_nngp.npy", self.tmp / "nt_ntk.npy"]
        k_us = [self.tmp / "us_nngp.npy", self.tmp / "us_ntk.npy"]
        k_ram = [self.ram / "us_nngp.npy", self.ram / "us_ntk.npy"]
        for rep in range(self.a.reps):
            order = ["us", "nt"] if rep % 2 == 0 else ["nt", "us"]
            for who in order:
                if who == "us":
                    cmd = lambda k: [self.a.ntk, "kernel", "--x", x, "--activation", act, "--depth", str(depth),
                                     "--w-std", str(w), "--b-std", str(b), "--nngp-out", k[0], "--ntk-out", k[1],
                                     "--threads", str(self.threads), "--quiet"]
                    # whole process: the outputs on the disk, durably published
                    wall, rss, _ = run(cmd(k_us))
                    sc = json.loads((Path(str(k_us[1]) + ".json")).read_text())
                    ours["wall"].append(wall); ours["rss"].append(rss); ours["inproc_disk"].append(sc["timing_s"])
                    # in process: the same command with the outputs in RAM
                    run(cmd(k_ram))
                    sc = json.loads((Path(str(k_ram[1]) + ".json")).read_text())
                    ours["inproc"].append(sc["timing_s"])
                    # in memory: the library call (what the Python package does), no file at all
                    if self.a.in_memory:
                        _, _, out = run([self.a.in_memory, x, act, depth, w, b, self.threads])
                        ours["mem"].append(json.loads(out.strip().splitlines()[-1])["time_s"])
                    for k in k_ram:
                        for f in [k, Path(str(k) + ".json")]:
                            f.unlink(missing_ok=True)
                else:
                  try:
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
                  except RuntimeError as e:
                    # e.g. neural-tangents' SELU quadrature at degree 25 needs 40 GB at n = 2000
                    reason = str(e).strip().splitlines()[-1][:120]
                    self.rows.append(dict(case=f"{act} n={n} (nt deg {deg}): neural-tangents failed: {reason}",
                                          ntk_inproc=med(ours["inproc"]), nt_inproc=float("nan"),
                                          ntk_wall=med(ours["wall"]), nt_wall=float("nan"),
                                          ntk_rss_mb=max(ours["rss"] or [0]), nt_rss_mb=float("nan"),
                                          max_rel_diff=float("nan")))
                    self.report()
                    return
        agree = max(rel(np.load(k_nt[i]), np.load(k_us[i])) for i in range(2))
        name = f"analytic {act} L={depth} n={n} d=784" + (f" (nt: Gauss-Hermite deg {deg})" if deg else "") \
            + f" [ntk in-process with the outputs on disk: {med(ours['inproc_disk']):.3f} s" \
            + (f"; in memory: {med(ours['mem']):.3f} s, {med(theirs['inproc']) / med(ours['mem']):.1f}x]"
               if ours["mem"] else "]")
        self.rows.append(dict(case=name, ntk_inproc=med(ours["inproc"]), nt_inproc=med(theirs["inproc"]),
                              ntk_wall=med(ours["wall"]), nt_wall=med(theirs["wall"]),
                              ntk_rss_mb=max(ours["rss"]), nt_rss_mb=max(theirs["rss"]),
                              max_rel_diff=agree))
        self.report()

    def empirical(self, width, n, impls):
        x = self.data(n)
        params = self.tmp / f"params_{width}.json"
        k_nt = self.tmp / "nt_emp.npy"
        k_us = self.tmp / "us_emp.npy"
        # neural-tangents makes the parameters (seeded JAX init); we load the same ones
        first_impl = True
        for impl in impls:
            theirs = {"wall": [], "inproc": [], "rss": []}
            ours = {"wall": [], "inproc": [], "rss": []}
            for rep in range(self.a.reps):
                extra = ["--params-out", params] if first_impl and rep == 0 else []
                r, rss = self.nt("empirical", "--x", x, "--depth", 2, "--w", 1.0, "--b", 0.0, "--width", width,
                                 "--impl", impl, "--reps", 1, "--out", k_nt, *extra)
                theirs["inproc"].append(r["time_s"]); theirs["rss"].append(rss)
                if first_impl:
                    wall, rss, _ = run([self.a.ntk, "empirical", "--x", x, "--activation", "relu", "--depth", "2",
                                        "--w-std", "1", "--b-std", "0", "--params", params, "--out", k_us,
                                        "--threads", str(self.threads), "--quiet"])
                    sc = json.loads(Path(str(k_us) + ".json").read_text())
                    ours["wall"].append(wall); ours["rss"].append(rss); ours["inproc"].append(sc["timing_s"])
            if first_impl:
                self.ours_emp = ours
            first_impl = False
            agree = rel(np.load(k_nt), np.load(k_us))
            o = self.ours_emp
            self.rows.append(dict(case=f"empirical NTK 784-{width}-{width}-1 n={n} (nt: {impl})",
                                  ntk_inproc=med(o["inproc"]), nt_inproc=med(theirs["inproc"]),
                                  ntk_wall=med(o["wall"]), nt_wall=float("nan"),
                                  ntk_rss_mb=max(o["rss"]), nt_rss_mb=max(theirs["rss"]), max_rel_diff=agree))
            self.report()

    def predict(self, n):
        x = self.data(n, d=64, seed=3)
        kpath = self.tmp / f"k_{n}.npy"
        ypath = self.tmp / f"y_{n}.npy"
        if not kpath.exists():
            xx = np.load(x)
            k = xx @ xx.T / 64 + 1e-3 * np.eye(n)
            np.save(kpath, k)
            np.save(ypath, np.sin(xx[:, :1]))
        times = ",".join(["0"] + [f"{t:.6g}" for t in np.logspace(-2, 4, 99)])
        ours = {"wall": [], "inproc": [], "rss": []}
        theirs = {"inproc": [], "rss": []}
        eig = []
        for rep in range(self.a.reps):
            out = self.tmp / "pred.json"
            wall, rss, _ = run([self.a.ntk, "predict", "--ntk-train", kpath, "--y-train", ypath, "--lr", "1",
                                "--loss", "mean", "--times", times, "--out", out, "--threads", str(self.threads)])
            ours["wall"].append(wall); ours["rss"].append(rss)
            ours["inproc"].append(json.loads(out.read_text())["seconds"])
            r, rss = self.nt("predict", "--kernel", kpath, "--y", ypath, "--ntimes", 100, "--reps", 0)
            theirs["inproc"].append(r["time_s"]); theirs["rss"].append(rss)
            r, _ = self.nt("eigh", "--kernel", kpath, "--reps", 0)
            eig.append(r["time_s"])
        self.rows.append(dict(case=f"gradient flow n={n}, 100 times (numpy eigh alone: {med(eig):.2f} s)",
                              ntk_inproc=med(ours["inproc"]), nt_inproc=med(theirs["inproc"]),
                              ntk_wall=med(ours["wall"]), nt_wall=float("nan"),
                              ntk_rss_mb=max(ours["rss"]), nt_rss_mb=max(theirs["rss"]), max_rel_diff=float("nan")))
        self.report()

    def predict_outputs(self, n, outputs=10, ntimes=10):
        """Issue 8's case: n training points, `outputs` targets, `ntimes` times (0 and a log
        grid to 1e4, as nt_worker's --ntimes), ntk's dense and iterative solvers against
        gradient_descent_mse, and the largest relative difference of the train predictions."""
        x = self.data(n, d=64, seed=3)
        kpath = self.tmp / f"k_{n}.npy"
        ypath = self.tmp / f"y_{n}_{outputs}.npy"
        if not kpath.exists():
            xx = np.load(x)
            np.save(kpath, xx @ xx.T / 64 + 1e-3 * np.eye(n))
        if not ypath.exists():
            xx = np.load(x)
            np.save(ypath, np.sin(xx[:, :outputs]))
        times = ",".join(["0"] + [f"{t:.17g}" for t in np.logspace(-2, 4, ntimes - 1)])
        nt_out = self.tmp / "nt_fx.npy"
        for solver in ["dense", "iterative"]:
            ours = {"wall": [], "inproc": [], "rss": []}
            theirs = {"inproc": [], "rss": []}
            for rep in range(self.a.reps):
                out = self.tmp / "pred.json"
                fx = self.tmp / "fx_train.npy"
                wall, rss, _ = run([self.a.ntk, "predict", "--ntk-train", kpath, "--y-train", ypath, "--lr", "1",
                                    "--loss", "mean", "--times", times, "--solver", solver, "--out", out,
                                    "--fx-train-out", fx, "--threads", str(self.threads)])
                ours["wall"].append(wall); ours["rss"].append(rss)
                ours["inproc"].append(json.loads(out.read_text())["seconds"])
                r, rss = self.nt("predict", "--kernel", kpath, "--y", ypath, "--ntimes", ntimes, "--reps", 0,
                                 "--out", nt_out)
                theirs["inproc"].append(r["time_s"]); theirs["rss"].append(rss)
            agree = rel(np.load(nt_out), np.load(fx))
            self.rows.append(dict(case=f"gradient flow n={n}, {outputs} outputs, {ntimes} times, ntk {solver}",
                                  ntk_inproc=med(ours["inproc"]), nt_inproc=med(theirs["inproc"]),
                                  ntk_wall=med(ours["wall"]), nt_wall=float("nan"),
                                  ntk_rss_mb=max(ours["rss"]), nt_rss_mb=max(theirs["rss"]), max_rel_diff=agree))
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
    p.add_argument("--in-memory", help="examples/in_memory binary: ntk's in-memory kernel call, timed")
    p.add_argument("--quick", action="store_true")
    p.add_argument("--only", default="")
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--threads", type=int, default=0)
    a = p.parse_args()
    if a.quick:
        a.reps = 1
    trampoline_overhead()
    b = Bench(a)
    want = lambda k: not a.only or a.only == k
    sizes = [1000, 2000] if a.quick else [1000, 2000, 4000, 8000]
    if want("analytic"):
        for n in sizes:
            b.analytic("relu", n)
        b.analytic("erf", 2000 if not a.quick else 1000)
    if want("empirical"):
        b.empirical(512, 256 if a.quick else 1000, ["structured", "vector"] + ([] if a.quick else ["jacobian"]))
        if not a.quick:
            b.empirical(2048, 1000, ["structured"])
    if want("predict"):
        for n in ([1000] if a.quick else [2000, 4000]):
            b.predict(n)
    if want("predict") or want("predict-outputs"):
        b.predict_outputs(1000 if a.quick else 4000)
    if want("selu"):
        for deg in ([10] if a.quick else [10, 25]):
            b.analytic("selu", 1000 if a.quick else 2000, w=1.0, b=0.0, deg=deg)


if __name__ == "__main__":
    main()
