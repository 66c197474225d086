#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# selftests/run.sh [SUITE...]: run inside a guest (scripts/run-in-vm): load
# out/$(uname -r)/tcpfault.ko unless loaded, run the suites through
# kselftest's runner (make -C selftests run_tests, KTAP on stdout), exit
# non-zero if any suite failed. SUITE (e.g. syn_schedule.sh) limits the run.
# The helpers and the kselftest cache are built on the host first:
# `make -C selftests`.
set -u

here=$(cd "$(dirname "$0")" && pwd)
release=$(uname -r)
ko=${TCPFAULT_KO:-$here/../out/$release/tcpfault.ko}

if [ ! -d /sys/module/tcpfault ]; then
	if [ ! -r "$ko" ]; then
		echo "run.sh: $ko not found (make module KVER=$release)" >&2
		exit 1
	fi
	insmod "$ko" || { echo "run.sh: insmod $ko failed" >&2; exit 1; }
fi

# In a run-in-vm guest, leave hang detection to the runner's wall-clock
# limit: under --clock virtual the guest clock leaps to the next timer
# whenever the guest idles, also while it waits for the 9p root, so a
# guest-time timeout can expire in a fraction of a second of real time.
if [ "${TCPFAULT_VM:-}" = 1 ] && [ -z "${kselftest_override_timeout:-}" ]; then
	export kselftest_override_timeout=0
fi

args=()
[ $# -eq 0 ] || args=("TEST_PROGS=$*")
log=$(mktemp /tmp/tcpfault-ksft.XXXXXX)
make --no-print-directory -C "$here" run_tests "${args[@]}" 2>&1 | tee "$log"
st=${PIPESTATUS[0]}
# kselftest's runner exits 0 whatever the suites said: read its verdicts.
if [ "$st" -ne 0 ] || grep -q '^not ok' "$log" || ! grep -q '^ok' "$log"; then
	st=1
fi
rm -f "$log"
exit "$st"
