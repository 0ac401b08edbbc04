#!/usr/bin/env bash
# Runs every loom model at preemption bound 3 (CI runs bound 2): the models inside the
# crate (`cargo test -p asyncio --lib`, src/*/tests/loom_*.rs) and those in loom-tests/.
# Occasional use: about 3 minutes of model checking on a 2-core machine, plus the build.
#
#   loom-tests/deep.sh                     # all models
#   loom-tests/deep.sh push_vs_park        # only the tests whose name contains this
#   LOOM_MAX_PREEMPTIONS=4 loom-tests/deep.sh two_workers
set -euo pipefail
cd "$(dirname "$0")/.."

export RUSTFLAGS="${RUSTFLAGS:+$RUSTFLAGS }--cfg loom"
export LOOM_MAX_PREEMPTIONS="${LOOM_MAX_PREEMPTIONS:-3}"
# Separate target dir: the cfg(loom) build must not thrash the normal one.
cargo test -p asyncio --lib --release --target-dir target/loom -- --test-threads=1 "$@"
cargo test -p loom-tests --release --target-dir target/loom -- --test-threads=1 "$@"
