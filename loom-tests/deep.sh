#!/usr/bin/env bash
# Runs every loom model at preemption bound 3 (CI runs bound 2). Occasional use: about
# 2.5 minutes of model checking on a 2-core machine, plus the build.
#
#   loom-tests/deep.sh                     # all models
#   loom-tests/deep.sh push_vs_park        # only the tests whose name contains this
#   LOOM_MAX_PREEMPTIONS=4 loom-tests/deep.sh two_workers
set -euo pipefail
cd "$(dirname "$0")/.."

export RUSTFLAGS="${RUSTFLAGS:+$RUSTFLAGS }--cfg loom"
export LOOM_MAX_PREEMPTIONS="${LOOM_MAX_PREEMPTIONS:-3}"
# Separate target dir: the cfg(loom) build must not thrash the normal one.
exec cargo test -p loom-tests --release --target-dir target/loom -- --test-threads=1 "$@"
