"""The import swap: swap_snippet.py (NTK regression on the digits) run with ntk.nt gives the
numbers neural-tangents 0.6.5 gave for the same script (fixtures/swap_nt.json)."""

import json
import os
import subprocess
import sys

from conftest import HERE, rel


def test_same_script_same_numbers(swap_nt):
    env = dict(os.environ, SWAP_BACKEND="ntk")
    out = subprocess.run([sys.executable, os.path.join(HERE, "swap_snippet.py")], env=env,
                         capture_output=True, text=True, check=True)
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert set(got) == set(swap_nt) - {"_provenance"}
    for key in ("max_learning_rate", "fx_test", "fx_train_last", "ntk_inf_mean", "ntk_inf_cov_diag", "nngp_100_mean"):
        assert rel(got[key], swap_nt[key]) <= 1e-9, (key, rel(got[key], swap_nt[key]))
    assert got["accuracy"] == swap_nt["accuracy"]
    assert got["accuracy"] > 0.8  # the kernel regression actually works
