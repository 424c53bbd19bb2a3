# %% [markdown]
# # ntk from Python: kernels, dynamics without training, scikit-learn
#
# A notebook-style script (cells marked `# %%`; open it in Jupyter/VS Code, or run it with
# `python examples/python_quickstart.py`). CI runs it (tests/python/test_example.py).
# Everything is float64; every call runs on the Rust engine with the GIL released.

# %%
import numpy as np

import ntk
from ntk.nt import predict, stax

# %% [markdown]
# ## 1. Infinite-width kernels of a ReLU network on the digits

# %%
x, labels = ntk.dataset("digits")  # 1797 x 64, pixels in [0, 1]
rng = np.random.default_rng(0)
idx = rng.permutation(len(x))
train, test = idx[:500], idx[500:800]
y = np.eye(10)[labels] - 0.1  # centred one-hot targets

net = ntk.Network("relu", depth=3, w_std=1.4, b_std=0.1)
k_train = ntk.kernels(net, x[train])  # Kernels(nngp, ntk), 500 x 500, exactly symmetric
k_test = ntk.kernels(net, x[test], x[train])  # 300 x 500
print("NTK(train) diagonal mean:", k_train.ntk.diagonal().mean())

# %% [markdown]
# ## 2. Training dynamics without training
# Gradient flow on the NTK with neural-tangents' mean loss; t = inf is kernel regression.

# %%
lr = ntk.max_learning_rate(k_train.ntk, n_outputs=y[train].size)
p = ntk.predict(
    y[train], ntk_train=k_train.ntk, ntk_test_train=k_test.ntk, y_test=y[test],
    learning_rate=0.5 * lr, loss="mean", times=[0, 10, 100, 1000, np.inf],
)
for t, lt in zip(p.times, p.loss_test):
    acc = np.mean(np.argmax(p.fx_test[list(p.times).index(t)], 1) == labels[test])
    print(f"t = {t:>6}: test loss {lt:.4f}, accuracy {acc:.3f}")

# %% [markdown]
# ## 3. The same with neural-tangents' API (only the import differs from neural-tangents)

# %%
init_fn, apply_fn, kernel_fn = stax.serial(
    stax.Dense(512, W_std=1.4, b_std=0.1), stax.Relu(),
    stax.Dense(512, W_std=1.4, b_std=0.1), stax.Relu(),
    stax.Dense(512, W_std=1.4, b_std=0.1), stax.Relu(),
    stax.Dense(10, W_std=1.4, b_std=0.1),
)
ensemble = predict.gradient_descent_mse_ensemble(kernel_fn, x[train], y[train], diag_reg=1e-4)
g = ensemble(t=None, x_test=x[test], get="ntk", compute_cov=True)
print("NTK ensemble at t = inf: accuracy", np.mean(np.argmax(g.mean, 1) == labels[test]),
      "mean predictive std", np.sqrt(np.clip(np.diag(g.covariance), 0, None)).mean())

# a finite network of width 512 from the same description, and its empirical NTK
_, params = init_fn(0, (-1, 64))
f0 = apply_fn(params, x[test[:5]])
print("finite network outputs at init:", f0.shape)

# %% [markdown]
# ## 4. scikit-learn

# %%
from sklearn.kernel_ridge import KernelRidge  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402

from ntk.sklearn import NTK  # noqa: E402

search = GridSearchCV(
    KernelRidge(kernel=NTK(activation="relu", w_std=1.4, b_std=0.1)),
    {"kernel__depth": [1, 3], "alpha": [1e-3, 1e-1]}, cv=3,
)
search.fit(x[train], y[train])
pred = search.predict(x[test])
print("KernelRidge(NTK):", search.best_params_, "accuracy", np.mean(np.argmax(pred, 1) == labels[test]))
