#!/usr/bin/env bash
# Start time and memory of vigie versus k9s on a namespace of many pods, on the local platform.
#
# Needs the platform up (make stack-up). Builds bin/vigie and k9s (test/bench/k9s.sh), runs
# `stack load` to put N pods (default 5000) in namespace payments, then starts each tool R
# times (default 3), alternating, each in a fresh detached 120x40 tmux session, as alice
# (context local-payments: she may list pods in payments only), and polls the screen every
# ~20 ms until a line shows a `bench-load-` pod: the time from launch to that frame is "time
# to first pods frame". VmRSS is read from /proc at that frame and 5 s later (reported), with
# VmHWM. A tool that shows nothing within the timeout (default 60 s) is reported "timeout"; one
# that exits is reported "exited" (its last screen goes to stderr).
#
# The table goes to stdout (markdown), progress to stderr. The bench deployment is scaled back
# to 0 at the end unless --keep.
#
# k9s runs with HOME, KUBECACHEDIR, K9S_CONFIG_DIR, K9S_LOGS_DIR and the XDG dirs in a fresh
# temporary folder per run (nothing is written to your home, no warm discovery cache), with
# skipLatestRevCheck and without splash, logo and header. vigie runs with the platform's VIGIE_CONFIG and your
# environment.
set -euo pipefail

usage() {
	cat <<'EOF'
usage: test/bench/startup-vs-k9s.sh [--pods N] [--runs N] [--timeout S] [--tools "vigie k9s"] [--keep]
  --pods N      bench pods in namespace payments (default 5000)
  --runs N      runs per tool, alternating (default 3)
  --timeout S   seconds to wait for the first pods frame (default 60)
  --tools LIST  tools to measure (default "vigie k9s")
  --keep        leave the bench pods running at the end (default: scale back to 0)
EOF
}

PODS=5000
RUNS=3
TIMEOUT=60
TOOLS="vigie k9s"
KEEP=0
NS=payments
CONTEXT=local-payments
while [[ $# -gt 0 ]]; do
	case "$1" in
	--pods) PODS="$2"; shift 2 ;;
	--pods=*) PODS="${1#*=}"; shift ;;
	--runs) RUNS="$2"; shift 2 ;;
	--runs=*) RUNS="${1#*=}"; shift ;;
	--timeout) TIMEOUT="$2"; shift 2 ;;
	--timeout=*) TIMEOUT="${1#*=}"; shift ;;
	--tools) TOOLS="$2"; shift 2 ;;
	--tools=*) TOOLS="${1#*=}"; shift ;;
	--keep) KEEP=1; shift ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done

die() { echo "startup-vs-k9s: $*" >&2; exit 1; }
say() { echo "startup-vs-k9s: $*" >&2; }
[[ "$PODS" =~ ^[0-9]+$ && "$PODS" -gt 0 ]] || die "--pods wants a positive number"
[[ "$RUNS" =~ ^[0-9]+$ && "$RUNS" -gt 0 ]] || die "--runs wants a positive number"
[[ "$TIMEOUT" =~ ^[0-9]+$ && "$TIMEOUT" -gt 0 ]] || die "--timeout wants a positive number of seconds"
for t in $TOOLS; do
	[[ "$t" == vigie || "$t" == k9s ]] || die "unknown tool $t (vigie, k9s)"
done

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
STATE="${VIGIE_STACK_DIR:-$ROOT/test/stack/.run}"
ENV_FILE="$STATE/env"
NOT_UP="the local platform is not up: run \`make stack-up\` first"
[[ -f "$ENV_FILE" ]] || die "$NOT_UP (no $ENV_FILE)"
# shellcheck disable=SC1090
source "$ENV_FILE"
[[ -n "${VIGIE_STACK_CTL:-}" && -x "$VIGIE_STACK_CTL" ]] ||
	die "$ENV_FILE has no usable VIGIE_STACK_CTL (written by a newer stack): restart the platform (make stack-down stack-up)"
status="$("$VIGIE_STACK_CTL" status 2>&1)" || die "$NOT_UP"
grep -Eq '^kube-apiserver +pid [0-9]+ +running' <<<"$status" ||
	die "the platform's kube-apiserver is not running: restart it (make stack-down stack-up)"
command -v tmux >/dev/null || die "tmux is required (apt-get install tmux)"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/vigie-bench.XXXXXX")"
TMUX_SOCKET="$WORK/tmux.sock" # our own server, removed with $WORK
LOADED=0
cleanup() {
	tmux -S "$TMUX_SOCKET" kill-server 2>/dev/null || true
	if [[ $LOADED == 1 && $KEEP == 0 ]]; then
		say "scaling bench-load back to 0 (--keep leaves it)"
		"$VIGIE_STACK_CTL" load --namespace "$NS" --pods 0 >&2 || true
	fi
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Our own tmux server (own socket, no user config): no status line, so the tool gets all of
# 120x40; a pane whose program exits stays, to show why.
printf 'set -g status off\nset -g remain-on-exit on\nset -g history-limit 0\n' >"$WORK/tmux.conf"
tm() { tmux -S "$TMUX_SOCKET" -f "$WORK/tmux.conf" "$@"; }
unset TMUX

VIGIE="$ROOT/bin/vigie"
K9S=""
if [[ " $TOOLS " == *" vigie "* ]]; then
	say "building bin/vigie"
	(cd "$ROOT" && go build -o bin/vigie ./cmd/vigie) || die "go build ./cmd/vigie failed"
fi
if [[ " $TOOLS " == *" k9s "* ]]; then
	K9S="$("$ROOT/test/bench/k9s.sh")"
	[[ -x "$K9S" ]] || die "no k9s binary at $K9S"
fi

LOADED=1
say "loading $PODS pods into $NS"
"$VIGIE_STACK_CTL" load --namespace "$NS" --pods "$PODS" >&2

now_us() { local t="${EPOCHREALTIME/[.,]/}"; echo "$((10#$t))"; }
# VmRSS and VmHWM of a pid in KiB: "rss hwm".
mem_kib() { awk '/^VmRSS:/ {r=$2} /^VmHWM:/ {h=$2} END {if (r == "") exit 1; print r, h}' "/proc/$1/status" 2>/dev/null; }
mib() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }

# k9s config: no version check against GitHub, no splash, logo or header.
k9s_home() {
	local home
	home="$(mktemp -d "$WORK/k9s-home.XXXXXX")"
	mkdir -p "$home/k9s" "$home/logs" "$home/.config" "$home/.local/share" "$home/.local/state" "$home/.cache" "$home/tmp"
	cat >"$home/k9s/config.yaml" <<'EOF'
k9s:
  skipLatestRevCheck: true
  ui:
    splashless: true
    logoless: true
    headless: true
EOF
	echo "$home"
}

RESULTS=() # "tool run ms rss_kib hwm_kib" (ms: number, timeout or exited)

# measure TOOL RUN: one launch, appends to RESULTS.
measure() {
	local tool="$1" run="$2" name="bench-$1-$2" cmd home line pid t0 now elapsed screen="" result="" exe mem at_frame=""
	case "$tool" in
	vigie)
		cmd=(env TERM=xterm-256color KUBECONFIG="$KUBECONFIG" VIGIE_CONFIG="$VIGIE_CONFIG"
			"$VIGIE" --context "$CONTEXT" --command pods)
		;;
	k9s)
		home="$(k9s_home)"
		# k9s puts its discovery cache under the passwd home, not $HOME: KUBECACHEDIR moves it.
		cmd=(env TERM=xterm-256color KUBECONFIG="$KUBECONFIG" HOME="$home" TMPDIR="$home/tmp" KUBECACHEDIR="$home/.kube/cache"
			K9S_CONFIG_DIR="$home/k9s" K9S_LOGS_DIR="$home/logs"
			XDG_CONFIG_HOME="$home/.config" XDG_DATA_HOME="$home/.local/share"
			XDG_STATE_HOME="$home/.local/state" XDG_CACHE_HOME="$home/.cache"
			"$K9S" --context "$CONTEXT" -n "$NS" --command pods --headless --logoless --splashless)
		;;
	esac
	line="exec $(printf '%q ' "${cmd[@]}")"
	t0="$(now_us)"
	tm new-session -d -s "$name" -x 120 -y 40 "$line"
	pid="$(tm display -p -t "$name" '#{pane_pid}')"
	while :; do
		now="$(now_us)"
		elapsed=$(((now - t0) / 1000))
		if screen="$(tm capture-pane -p -t "$name" 2>/dev/null)" && [[ "$screen" == *bench-load-* ]]; then
			result="$elapsed"
			break
		fi
		if [[ ! -e "/proc/$pid" ]]; then
			result=exited
			break
		fi
		if ((elapsed > TIMEOUT * 1000)); then
			result=timeout
			break
		fi
		sleep 0.02
	done
	local rss=- hwm=-
	if [[ "$result" =~ ^[0-9]+$ ]]; then
		exe="$(readlink "/proc/$pid/exe" || true)"
		[[ "$exe" == "$VIGIE" || "$exe" == "$K9S" ]] || say "warning: pane pid $pid runs $exe, not $tool"
		mem="$(mem_kib "$pid" || true)"
		at_frame="${mem%% *}"
		sleep 5
		mem="$(mem_kib "$pid" || true)"
		if [[ -n "$mem" ]]; then
			read -r rss hwm <<<"$mem"
		else
			say "$tool run $run: exited within 5 s of its first pods frame"
		fi
	else
		{
			echo "startup-vs-k9s: $tool run $run: $result; last screen:"
			tm capture-pane -p -t "$name" 2>/dev/null | grep -v '^[[:space:]]*$' | tail -n 15 | sed 's/^/  | /'
		} >&2
	fi
	tm kill-session -t "$name" 2>/dev/null || true
	# The pane's process gets SIGHUP; make sure it is gone before the next run.
	for _ in $(seq 100); do [[ -e "/proc/$pid" ]] || break; sleep 0.05; done
	if [[ -e "/proc/$pid" ]] && [[ "$(readlink "/proc/$pid/exe" 2>/dev/null)" == "$VIGIE" || "$(readlink "/proc/$pid/exe" 2>/dev/null)" == "$K9S" ]]; then
		kill -KILL "$pid" 2>/dev/null || true
	fi
	local msg="$result"
	[[ "$result" =~ ^[0-9]+$ ]] && msg="$result ms"
	[[ -n "$at_frame" ]] && msg+=", RSS $(mib "$at_frame") MiB at that frame"
	[[ "$rss" != - ]] && msg+=", $(mib "$rss") MiB 5 s later, HWM $(mib "$hwm") MiB"
	say "$tool run $run: first pods frame after $msg"
	RESULTS+=("$tool $run $result $rss $hwm")
}

for run in $(seq "$RUNS"); do
	for tool in $TOOLS; do
		measure "$tool" "$run"
	done
done

# median of the numbers on stdin ("-" when none).
median() { sort -n | awk '{v[NR] = $1} END {if (NR == 0) {print "-"; exit} if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
# values (TOOL, FIELD set): the numeric values of a results field for a tool.
values() {
	local f
	for r in "${RESULTS[@]}"; do
		read -ra f <<<"$r"
		[[ "${f[0]}" == "$TOOL" ]] && echo "${f[FIELD - 1]}"
	done | grep -E '^[0-9.]+$' || true
}
fmt_mib() { if [[ "$1" == - ]]; then echo -; else mib "$1"; fi; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (a == "-" || b == "-" || b == 0) print "n/a"; else printf "%.2f", a / b}'; }

k9s_version=""
[[ -n "$K9S" ]] && k9s_version="$(basename "$(dirname "$K9S")")" && k9s_version="${k9s_version#k9s-}"
vigie_version="$(cd "$ROOT" && git describe --tags --always --dirty 2>/dev/null || echo dev)"
echo "### Time to first pods frame and memory: $PODS pods in namespace $NS"
echo
echo "Context $CONTEXT (alice, namespace-scoped), tmux 120x40, $RUNS runs per tool alternating; $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); vigie $vigie_version${k9s_version:+, k9s $k9s_version}. RSS is read 5 s after the first pods frame; HWM is the peak."
echo
echo "| tool | run | ms to first pods frame | RSS MiB | HWM MiB |"
echo "|---|---|---|---|---|"
for r in "${RESULTS[@]}"; do
	read -ra f <<<"$r"
	echo "| ${f[0]} | ${f[1]} | ${f[2]} | $(fmt_mib "${f[3]}") | $(fmt_mib "${f[4]}") |"
done
declare -A MED_MS MED_RSS MED_HWM
for TOOL in $TOOLS; do
	MED_MS[$TOOL]="$(FIELD=3 values | median)"
	MED_RSS[$TOOL]="$(FIELD=4 values | median)"
	MED_HWM[$TOOL]="$(FIELD=5 values | median)"
	ok="$(FIELD=3 values | wc -l)"
	echo "| **$TOOL median** | $ok of $RUNS | ${MED_MS[$TOOL]} | $(fmt_mib "${MED_RSS[$TOOL]}") | $(fmt_mib "${MED_HWM[$TOOL]}") |"
done
if [[ " $TOOLS " == *" vigie "* && " $TOOLS " == *" k9s "* ]]; then
	echo
	echo "vigie/k9s (medians): time to first pods frame $(ratio "${MED_MS[vigie]}" "${MED_MS[k9s]}"), RSS $(ratio "${MED_RSS[vigie]}" "${MED_RSS[k9s]}"), HWM $(ratio "${MED_HWM[vigie]}" "${MED_HWM[k9s]}")"
fi
