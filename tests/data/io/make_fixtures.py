#!/usr/bin/env python3
"""Generate the .npy/.csv fixtures for tests/io.rs, and expected.json with their values.

Run once with numpy installed (CI never runs it; the outputs are committed):

    python3 tests/data/io/make_fixtures.py

expected.json maps each fixture to {"shape": [...], "data": [...]}, data flattened in C
(row-major) order, each value as Python's repr string (exact round trip; Rust parses it with
str::parse::<f64>, which rounds correctly). Values of integer and float32 fixtures are listed
as the float64 numbers they convert to.

If ntk_written.npy exists (written by our Rust writer: `NTK_BLESS=1 cargo test --test io
bless_writer_golden`), this script also checks that numpy loads it with the expected shape,
dtype, order and values: the round trip through numpy.
"""
import json
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
expected = {}


def path(name):
    return os.path.join(HERE, name)


def record(name, arr):
    a = np.asarray(arr, dtype=np.float64)
    expected[name] = {"shape": list(a.shape), "data": [repr(float(v)) for v in a.ravel(order="C")]}


def save(name, arr, **kw):
    np.save(path(name), arr, **kw)
    record(name, arr)


# float64, C and Fortran order, same values
base = np.array([[0.0, -1.5, 0.1, 1e300], [2.0 ** -1074, -0.0, 123456.789, -7.25], [1.0, 2.0, 3.0, 1.0 / 3.0]])
save("f8_c.npy", base)
save("f8_f.npy", np.asfortranarray(base))
save("f8_be_f.npy", np.asfortranarray(base.astype(">f8")))
assert np.isfortran(np.load(path("f8_f.npy")))

# every supported integer/float dtype, both byte orders where they differ
signed = np.array([[-128, -1, 0], [1, 100, 127]])
unsigned = np.array([[0, 1, 2], [100, 200, 255]])
for descr in ["<f4", ">f4", "|i1", "<i2", ">i2", "<i4", ">i4", "<i8", ">i8",
              "|u1", "<u2", ">u2", "<u4", ">u4", "<u8", ">u8"]:
    kind = descr[1]
    vals = unsigned if kind == "u" else signed
    if kind == "f":
        vals = np.array([[0.1, -2.5, 3.0], [1e-3, 65504.0, -0.0]])
    arr = vals.astype(np.dtype(descr))
    name = descr[1:] + ("_be" if descr[0] == ">" else "") + ".npy"
    np.save(path(name), arr)
    assert np.load(path(name)).dtype.str == descr or descr[0] == "|", (descr, np.load(path(name)).dtype.str)
    record(name, arr)

# large 64-bit integers (exact in f64)
save("i8_be_big.npy", np.array([[2 ** 53, -(2 ** 53)], [2 ** 40 + 1, -3]], dtype=">i8"))

# 1-D, other format versions
save("vec.npy", np.array([1.5, -2.0, 0.25, 8.0, 1e-10]))
for version in [(2, 0), (3, 0)]:
    name = "v%d.npy" % version[0]
    arr = np.arange(6, dtype=np.float64).reshape(2, 3) / 4
    with open(path(name), "wb") as f:
        np.lib.format.write_array(f, arr, version=version)
    record(name, arr)

# errors
np.save(path("rank3.npy"), np.zeros((2, 2, 2)))
np.save(path("scalar.npy"), np.float64(3.0))
np.save(path("bool.npy"), np.array([[True, False]]))
np.save(path("complex.npy"), np.array([[1 + 2j]]))
np.save(path("empty.npy"), np.zeros((0, 3)))
save("nonfinite.npy", np.array([[1.0, 2.0], [np.inf, 4.0], [5.0, np.nan]]))
raw = open(path("f8_c.npy"), "rb").read()
open(path("truncated.npy"), "wb").write(raw[:-12])
open(path("trailing.npy"), "wb").write(raw + b"\0" * 8)
open(path("not_npy.npy"), "wb").write(b"hello, world\n")

# numpy-written text
text = np.array([[0.1, -2.5, 3.0], [1e-300, 123.456, -7.0]])
np.savetxt(path("header.csv"), text, delimiter=",", header="a,b,c", comments="")
record("header.csv", text)
np.savetxt(path("noheader.csv"), text, delimiter=",")
record("noheader.csv", text)
np.savetxt(path("spaces.txt"), text, header="a b c")  # "# a b c" comment line, space-separated
record("spaces.txt", text)
np.savetxt(path("tabs.tsv"), text, delimiter="\t", header="a\tb\tc", comments="")
record("tabs.tsv", text)
np.savetxt(path("column.csv"), text[:, 0])  # a single column, one value per line
record("column.csv", text[:, :1])

# hand-written text (blank lines, CRLF, error cases)
with open(path("blank_crlf.csv"), "wb") as f:
    f.write(b"x,y\r\n\r\n1,2\r\n  \r\n3,4\r\n\r\n")
record("blank_crlf.csv", np.array([[1.0, 2.0], [3.0, 4.0]]))
open(path("ragged.csv"), "w").write("a,b,c\n1,2,3\n4,5\n")
open(path("nonnumeric.csv"), "w").write("1,2\n3,4\n5,abc\n")
open(path("nonfinite.csv"), "w").write("1,2\n3,nan\ninf,4\n")
open(path("header_only.csv"), "w").write("a,b\n\n")
open(path("unknown.dat"), "w").write("1,2\n")

with open(path("expected.json"), "w") as f:
    json.dump(expected, f, indent=1, sort_keys=True)
    f.write("\n")

# Round trip of our writer's output through numpy.
ours = path("ntk_written.npy")
if os.path.exists(ours):
    a = np.load(ours)
    want = np.array([[1.0, -2.5, 0.1], [1e300, -0.0, 2.0 ** -1074]])
    assert a.dtype == np.float64 and a.shape == (2, 3) and np.isfortran(a), (a.dtype, a.shape)
    assert np.array_equal(a, want) and np.array_equal(np.signbit(a), np.signbit(want)), a
    hdr_len = int.from_bytes(open(ours, "rb").read()[8:10], "little")
    assert (10 + hdr_len) % 64 == 0
    print("ntk_written.npy: numpy reads it back exactly")
print("wrote %d fixtures" % len(expected))
