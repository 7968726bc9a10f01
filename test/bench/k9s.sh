#!/usr/bin/env bash
# Installs k9s (for performance comparisons) into a cache folder outside the clone, once,
# and prints the binary's path. A cold build takes ~8 min on 2 cores; later runs are instant.
set -euo pipefail

K9S_VERSION="${K9S_VERSION:-v0.50.16}"
dir="${XDG_CACHE_HOME:-$HOME/.cache}/vigie/bench/k9s-${K9S_VERSION}"
bin="$dir/k9s"

if [[ ! -x "$bin" ]]; then
	mkdir -p "$dir"
	echo "k9s.sh: building k9s ${K9S_VERSION} into $dir (~8 min cold)..." >&2
	start=$(date +%s)
	GOBIN="$dir" go install "github.com/derailed/k9s@${K9S_VERSION}"
	echo "k9s.sh: built in $(( $(date +%s) - start )) s" >&2
fi
echo "$bin"
