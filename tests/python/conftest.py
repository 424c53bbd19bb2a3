"""Shared fixtures of the Python tests: the reference values and the neural-tangents fixtures.

- ../data/reference.json: neural-tangents 0.6.5 (float64) and mpmath values (provenance in
  its "meta" and /work/shared/refs/README.md; the same file the Rust tests use).
- fixtures/nt_fixtures.json, fixtures/swap_nt.json: recorded with neural-tangents 0.6.5 by
  fixtures/make_nt_fixtures.py (see its docstring). CI never needs JAX.
"""

import json
import os

import numpy as np
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def load(path):
    with open(path) as f:
        return json.load(f)


@pytest.fixture(scope="session")
def reference():
    return load(os.path.join(ROOT, "tests", "data", "reference.json"))


@pytest.fixture(scope="session")
def nt_fixtures():
    return load(os.path.join(HERE, "fixtures", "nt_fixtures.json"))


@pytest.fixture(scope="session")
def swap_nt():
    return load(os.path.join(HERE, "fixtures", "swap_nt.json"))


def rel(got, ref):
    """Normwise relative error max |got - ref| / max |ref| (as refs/README.md defines it)."""
    got = np.asarray(got, dtype=np.float64)
    ref = np.asarray(ref, dtype=np.float64)
    assert got.size == ref.size, (got.shape, ref.shape)
    got = got.reshape(ref.shape)
    scale = np.max(np.abs(ref))
    return float(np.max(np.abs(got - ref)) / (scale if scale > 0 else 1.0))
