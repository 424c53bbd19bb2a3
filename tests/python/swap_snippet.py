"""A realistic neural-tangents script: NTK regression on the digits (scikit-learn's copy).

The import-swap test runs it twice: with ``SWAP_BACKEND=neural_tangents`` (recorded once into
fixtures/swap_nt.json by fixtures/make_nt_fixtures.py, in the pinned neural-tangents venv) and
with ``ntk.nt`` (in CI). The only difference between the two runs is the import block.
Prints a JSON object of the numbers to stdout.
"""

import json
import os

import numpy as np

if os.environ.get("SWAP_BACKEND") == "neural_tangents":
    from jax import config

    config.update("jax_enable_x64", True)  # neural-tangents needs this for float64
    import neural_tangents as nt
    from neural_tangents import stax
else:
    import ntk.nt as nt
    from ntk.nt import stax

from sklearn.datasets import load_digits

# ---- the user's script, unchanged between backends
X, labels = load_digits(return_X_y=True)
X = X / 16.0
rng = np.random.default_rng(0)
idx = rng.permutation(len(X))
train, test = idx[:300], idx[300:400]
x_train, x_test = X[train], X[test]
y_train = np.eye(10)[labels[train]] - 0.1
y_test = np.eye(10)[labels[test]] - 0.1

init_fn, apply_fn, kernel_fn = stax.serial(
    stax.Dense(512, W_std=1.5, b_std=0.05), stax.Relu(),
    stax.Dense(512, W_std=1.5, b_std=0.05), stax.Relu(),
    stax.Dense(10, W_std=1.5, b_std=0.05),
)

k_train = np.asarray(kernel_fn(x_train, None, "ntk"))
k_test_train = np.asarray(kernel_fn(x_test, x_train, "ntk"))
lr = float(nt.predict.max_learning_rate(k_train))

predict_fn = nt.predict.gradient_descent_mse(k_train, y_train, learning_rate=lr, diag_reg=1e-4)
fx_train, fx_test = predict_fn(t=np.array([10.0, 1000.0]), fx_train_0=0.0, fx_test_0=0.0,
                               k_test_train=k_test_train)

ensemble_fn = nt.predict.gradient_descent_mse_ensemble(kernel_fn, x_train, y_train, learning_rate=lr, diag_reg=1e-4)
ntk_inf = ensemble_fn(t=None, x_test=x_test, get="ntk", compute_cov=True)
nngp_100 = ensemble_fn(t=100.0, x_test=x_test, get="nngp")

accuracy = float(np.mean(np.argmax(np.asarray(ntk_inf.mean), 1) == labels[test]))

print(json.dumps({
    "max_learning_rate": lr,
    "fx_test": np.asarray(fx_test).tolist(),
    "fx_train_last": np.asarray(fx_train)[-1].tolist(),
    "ntk_inf_mean": np.asarray(ntk_inf.mean).tolist(),
    "ntk_inf_cov_diag": np.diag(np.asarray(ntk_inf.covariance)).tolist(),
    "nngp_100_mean": np.asarray(nngp_100).tolist(),
    "accuracy": accuracy,
}))
