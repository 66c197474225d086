#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# selftests/run.sh [SUITE...]: run inside a guest (scripts/run-in-vm): load
# out/$(uname -r)/tcpfault.ko unless loaded, run the suites through
# kselftest's runner (make -C selftests run_tests, KTAP on stdout), exit
# non-zero if any suite failed. SUITE (e.g. syn_schedule.sh) limits the run.
# Each suite's guest CPU time, guest time and processes started follow its
# verdict, a table of them ends the output (scripts/suite-times).
# TESTS="test_a test_b" in the environment (scripts/run-in-vm --env TESTS)
# runs only those cases of the suites (each suite's ALL_TESTS names them);
# a name that is no case of any suite run is an error.
# The helpers and the kselftest cache are built on the host first:
# `make -C selftests`. TCPFAULT_CLOCK (run-in-vm sets it), TCPFAULT_LONG,
# TCPFAULT_LONG_S, TCPFAULT_TOLERANCE_MS and KSFT_MACHINE_SLOW: see
# tf_core_lib.sh and Documentation/admin-guide.rst, Running suites.
set -u

here=$(cd "$(dirname "$0")" && pwd)
release=$(uname -r)
ko=${TCPFAULT_KO:-$here/../out/$release/tcpfault.ko}

if [ -n "${TESTS:-}" ]; then
	suites=("$@")
	[ $# -gt 0 ] || suites=("$here"/*.sh)
	for t in $TESTS; do
		found=
		for s in "${suites[@]}"; do
			s=$here/${s##*/}
			sed -n '/^ALL_TESTS="/,/"/p' "$s" 2>/dev/null | grep -qw -- "$t" && found=1
		done
		if [ -z "$found" ]; then
			echo "run.sh: TESTS: $t is no case of ${*:-any suite}" >&2
			exit 1
		fi
	done
	# Each suite runs the names it has.
	export TESTS TF_TESTS_ANY=1
fi

if [ ! -d /sys/module/tcpfault ]; then
	if [ ! -r "$ko" ]; then
		echo "run.sh: $ko not found (make module KVER=$release)" >&2
		exit 1
	fi
	insmod "$ko" || { echo "run.sh: insmod $ko failed" >&2; exit 1; }
fi

# Under the virtual clock (scripts/run-in-vm --clock virtual), leave hang
# detection to the runner's wall-clock limit: the guest clock leaps to the
# next timer whenever the guest idles, also while it waits for the 9p
# root, so a guest-time timeout can expire in a fraction of a second of
# real time. Under a real clock the settings file's timeout applies.
if [ "${TCPFAULT_CLOCK:-}" = virtual ] && [ -z "${kselftest_override_timeout:-}" ]; then
	export kselftest_override_timeout=0
fi

args=()
[ $# -eq 0 ] || args=("TEST_PROGS=$*")
log=$(mktemp /tmp/tcpfault-ksft.XXXXXX)
make --no-print-directory -C "$here" run_tests "${args[@]}" 2>&1 | "$here/../scripts/suite-times" "$log"
st=${PIPESTATUS[0]}
# kselftest's runner exits 0 whatever the suites said: read its verdicts.
if [ "$st" -ne 0 ] || grep -q '^not ok' "$log" || ! grep -q '^ok' "$log"; then
	st=1
fi
rm -f "$log"
exit "$st"
