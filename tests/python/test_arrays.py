"""Array handling and errors: layouts and dtypes give identical results, bad input raises
ValueError, numerical failures ntk.NumericalError, oversized requests MemoryError."""

import numpy as np
import pytest

import ntk
from ntk.nt import predict, stax

NET = ntk.Network("relu", depth=2, w_std=1.5, b_std=0.1)


def test_layouts_and_dtypes_identical():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(40, 6))
    ref = ntk.kernels(NET, x)
    big = np.zeros((80, 12))
    big[::2, ::2] = x
    variants = {
        "F": np.asfortranarray(x),
        "sliced": big[::2, ::2],
        "reversed": x[::-1][::-1],
        "list": x.tolist(),
    }
    for name, v in variants.items():
        k = ntk.kernels(NET, v)
        assert np.array_equal(k.nngp, ref.nngp) and np.array_equal(k.ntk, ref.ntk), name
    xf = x.astype(np.float32)
    assert np.array_equal(ntk.kernels(NET, xf).ntk, ntk.kernels(NET, xf.astype(np.float64)).ntk)
    xi = rng.integers(-3, 4, size=(10, 6))
    assert np.array_equal(ntk.kernels(NET, xi).ntk, ntk.kernels(NET, xi.astype(float)).ntk)
    # a sliced view is read in place: no copy made for float64
    assert np.shares_memory(np.asarray(variants["sliced"], dtype=np.float64), big)


def test_predict_layouts_identical():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(12, 3))
    k = ntk.kernels(NET, x).ntk
    y = rng.normal(size=(12, 2))
    a = predict.gradient_descent_mse(k, y)(np.array([1.0, 10.0]))
    b = predict.gradient_descent_mse(np.asfortranarray(k), np.asfortranarray(y))(np.array([1.0, 10.0]))
    c = predict.gradient_descent_mse(k.astype(np.float32).astype(np.float64), y)(np.array([1.0, 10.0]))
    assert np.array_equal(a, b)
    assert a.shape == c.shape == (2, 12, 2)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: ntk.kernels(NET, np.array([[1.0, np.nan]])), "NaN|finite|non-finite"),
        (lambda: ntk.kernels(NET, np.ones((3, 2)), np.ones((3, 5))), "column|dimension|shape"),
        (lambda: ntk.kernels(NET, np.ones((2, 2, 2))), "2-D"),
        (lambda: ntk.kernels(NET, "abc"), "numeric"),
        (lambda: ntk.Network("relu", depth=2, w_std=-1.0), "w_std"),
        (lambda: ntk.Network("nonsense", depth=2), "unknown activation"),
        (lambda: ntk.Network("relu", depth=-1), "depth"),
        (lambda: predict.gradient_descent_mse(np.eye(3), np.ones((4, 1)))(1.0), "shape|rows|match"),
        (lambda: predict.gradient_descent_mse(np.eye(3), np.ones((3, 1)), learning_rate=-1.0)(1.0), "learning_rate|lr"),
        (lambda: predict.gradient_descent_mse(np.eye(3), np.ones((3, 1)))(-1.0), "time|negative|>= 0"),
        (lambda: predict.gradient_descent_mse(np.eye(3), np.ones((3, 1)))(1.0, 0.0, 0.0), "k_test_train"),
        (lambda: ntk.predict(np.ones((3, 1)), ntk_train=np.array([[1.0, 2.0, 0], [0, 1.0, 0], [0, 0, 1.0]])), "symmetric"),
    ],
)
def test_bad_input_value_error(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_unsupported_layers_name_themselves():
    with pytest.raises(NotImplementedError, match="Conv"):
        stax.serial(stax.Conv(8, (3, 3)), stax.Relu(), stax.Dense(1))
    with pytest.raises(NotImplementedError, match="W_std"):
        stax.serial(stax.Dense(8, W_std=1.0), stax.Relu(), stax.Dense(1, W_std=2.0))
    with pytest.raises(NotImplementedError, match="Sin"):
        stax.Sin(a=2.0)


def test_memory_error():
    x = np.zeros((2_000_000, 1))
    x[:, 0] = 1.0
    with pytest.raises(MemoryError):
        ntk.kernels(NET, x)


def test_numerical_error():
    # gradient descent above the stable rate overflows: a runtime failure, not bad input
    k = np.array([[4.0, 0.0], [0.0, 1.0]])
    with pytest.raises(ntk.NumericalError, match="diverged|overflow"):
        ntk.predict(np.ones((2, 1)), ntk_train=k, steps=[100000], learning_rate=1.0)
    assert issubclass(ntk.NumericalError, Exception) and not issubclass(ntk.NumericalError, ValueError)
