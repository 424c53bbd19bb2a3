"""Long calls release the GIL (another Python thread runs meanwhile) and honour Ctrl-C
between tiles."""

import signal
import threading
import time

import numpy as np
import pytest

import ntk

NET = ntk.Network("erf", depth=3, w_std=1.5, b_std=0.1)


def _x(n):
    return np.random.default_rng(0).normal(size=(n, 8))


def test_thread_progresses_during_kernel_call():
    x = _x(1200)
    ticks = []
    stop = threading.Event()

    def worker():
        while not stop.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0.001)

    th = threading.Thread(target=worker)
    th.start()
    t0 = time.perf_counter()
    ntk.kernels(NET, x, threads=1)
    t1 = time.perf_counter()
    stop.set()
    th.join()
    during = [t for t in ticks if t0 < t < t1]
    # the call took a while, and the other thread kept running through it (with the GIL
    # held it could not run at all: no tick would fall inside the call)
    assert t1 - t0 > 0.05
    assert len(during) >= 10, (len(during), t1 - t0)
    assert max(during) - min(during) > 0.5 * (t1 - t0)  # throughout, not just at the edges


def test_ctrl_c_interrupts_between_tiles():
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signals are delivered to the main thread")
    # Python installs its KeyboardInterrupt handler only if SIGINT was not ignored when it
    # started (a background job of a non-interactive shell starts with SIGINT ignored):
    # install it for this test
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        _interrupt_between_tiles()
    finally:
        signal.signal(signal.SIGINT, previous)


def _interrupt_between_tiles():
    x = _x(2600)  # 11 bands of one tile row at threads=1
    t_small = time.perf_counter()
    ntk.kernels(NET, x[:650], threads=1)
    # the whole kernel costs ~16x the 650-point one (the work is quadratic)
    full = 16.0 * (time.perf_counter() - t_small)
    timer = threading.Timer(0.2, lambda: signal.raise_signal(signal.SIGINT))
    t0 = time.perf_counter()
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        ntk.kernels(NET, x, threads=1)
    elapsed = time.perf_counter() - t0
    timer.join()
    # stopped at the next band, long before the whole kernel would have finished (a signal
    # seen only after the call returns would also raise, but after the full time)
    assert elapsed < 0.2 + 0.4 * full, (elapsed, full)


def test_progress_callback():
    seen = []
    ntk.kernels(NET, _x(600), threads=1, progress=lambda d, t: seen.append((d, t)))
    assert seen and seen[-1][0] == seen[-1][1] == 3
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
