"""Type stubs of the compiled module ntk._ntk (private; use the ntk package's API)."""

from typing import Any, Callable, Optional, Sequence

import numpy as np
import numpy.typing as npt

__version__: str

class NumericalError(Exception): ...

_F64 = npt.NDArray[np.float64]
_Layers = Sequence[tuple[_F64, Optional[_F64]]]

def network_json(
    activation: str,
    depth: int,
    w_std: float,
    b_std: Optional[float] = None,
    parameterization: str = "ntk",
    width: Optional[int] = None,
) -> str: ...
def parse_activation(name: str) -> str: ...
def kernels(
    net: str,
    x1: _F64,
    x2: Optional[_F64] = None,
    compute_ntk: bool = True,
    threads: int = 0,
    progress: Optional[Callable[[int, int], Any]] = None,
    reference: bool = False,
) -> tuple[_F64, Optional[_F64]]: ...
def predict(
    y_train: _F64,
    times: Sequence[float],
    steps: Sequence[int],
    kernel: str = "ntk",
    ensemble: bool = False,
    learning_rate: float = 1.0,
    loss: str = "sum",
    diag_reg: float = 0.0,
    diag_reg_relative: bool = False,
    threads: int = 0,
    network: Optional[str] = None,
    x_train: Optional[_F64] = None,
    x_test: Optional[_F64] = None,
    ntk_train: Optional[_F64] = None,
    ntk_test_train: Optional[_F64] = None,
    nngp_train: Optional[_F64] = None,
    nngp_test_train: Optional[_F64] = None,
    nngp_test: Optional[_F64] = None,
    y_test: Optional[_F64] = None,
    f0_train: Optional[_F64] = None,
    f0_test: Optional[_F64] = None,
    check_widths: Optional[Sequence[int]] = None,
    seeds: int = 3,
    seed: int = 0,
) -> str: ...
def flow(
    k_train: _F64,
    y_train: _F64,
    ts: Sequence[float],
    discrete: bool = False,
    learning_rate: float = 1.0,
    loss: str = "sum",
    diag_reg: float = 0.0,
    diag_reg_relative: bool = False,
    f0_train: Optional[_F64] = None,
    k_test_train: Optional[_F64] = None,
    f0_test: Optional[_F64] = None,
    threads: int = 0,
) -> tuple[_F64, Optional[_F64]]: ...
def ensemble(
    training: str,
    nngp_train: _F64,
    y_train: _F64,
    ts: Sequence[float],
    ntk_train: Optional[_F64] = None,
    ntk_test_train: Optional[_F64] = None,
    nngp_test_train: Optional[_F64] = None,
    nngp_test: Optional[_F64] = None,
    learning_rate: float = 1.0,
    loss: str = "sum",
    diag_reg: float = 0.0,
    diag_reg_relative: bool = False,
    threads: int = 0,
) -> tuple[_F64, _F64]: ...
def largest_eigenvalue(k: _F64, threads: int = 0) -> tuple[float, float, int]: ...
def mlp_init(net: str, d_in: int, widths: Sequence[int], outputs: int = 1, seed: int = 0) -> list[tuple[_F64, Optional[_F64]]]: ...
def mlp_apply(net: str, layers: _Layers, x: _F64, threads: int = 0) -> _F64: ...
def empirical_kernels(net: str, layers: _Layers, x1: _F64, x2: Optional[_F64] = None, threads: int = 0) -> tuple[_F64, _F64]: ...
def converge(
    net: str,
    x: _F64,
    widths: Sequence[int],
    seeds: int = 10,
    seed: int = 0,
    threads: int = 0,
    data: str = "array",
    profile: bool = False,
    profile_widths: Optional[Sequence[int]] = None,
    train_steps: int = 200,
    angles: int = 101,
) -> str: ...
def dataset(name: str) -> tuple[_F64, Optional[npt.NDArray[np.int64]], str]: ...
def read_matrix(path: str) -> _F64: ...
