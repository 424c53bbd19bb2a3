"""The notebook-style example under examples/ runs end to end."""

import os
import runpy

from conftest import ROOT


def test_python_quickstart_runs(capsys):
    runpy.run_path(os.path.join(ROOT, "examples", "python_quickstart.py"), run_name="__main__")
    out = capsys.readouterr().out
    assert "KernelRidge(NTK)" in out and "t =    inf" in out


def test_package_ships_types():
    import ntk

    pkg = os.path.dirname(ntk.__file__)
    assert os.path.exists(os.path.join(pkg, "py.typed"))
    assert os.path.exists(os.path.join(pkg, "_ntk.pyi"))
    # every function of the compiled module has a stub
    import ntk._ntk as native

    stub = open(os.path.join(pkg, "_ntk.pyi")).read()
    for name in dir(native):
        if not name.startswith("_") and callable(getattr(native, name)):
            assert f"def {name}(" in stub or f"class {name}(" in stub, name
