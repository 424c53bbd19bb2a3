#!/usr/bin/env bash
# Side-by-side benchmark of ntk against neural-tangents 0.6.5 (float64, CPU, jit), in one run,
# alternating engines, several repetitions, medians and ratios; peak memory (whole-process RSS)
# and agreement of the outputs. Not a test: CI does not run it.
#
#   benches/nt/run.sh                 # all cases (about 20-30 minutes on 2 cores)
#   benches/nt/run.sh --quick         # small sizes only, one repetition
#   benches/nt/run.sh --only analytic # analytic | selu | empirical | predict | limits
#
# The first run creates a virtualenv (target/nt-venv, ~1.5 GB) with neural-tangents pinned as
# in requirements-nt.txt (neural-tangents 0.6.5 imports only with jax/jaxlib 0.4.25).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
venv=${NT_VENV:-$root/target/nt-venv}
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import neural_tangents" 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q -r "$root/benches/nt/requirements-nt.txt"
fi
cargo build --release --manifest-path "$root/Cargo.toml" --bin ntk --example limits --example in_memory
exec "$venv/bin/python" "$root/benches/nt/compare.py" --ntk "$root/target/release/ntk" \
  --limits "$root/target/release/examples/limits" \
  --in-memory "$root/target/release/examples/in_memory" "$@"
