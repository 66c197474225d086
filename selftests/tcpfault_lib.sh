# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Shared by the tcpfault suites and the demo: source it from a suite,
# `source ./tcpfault_lib.sh`. A suite names its cases in ALL_TESTS, has
# setup() and cleanup(), and ends in tf_run_tests; a case (test_NAME) makes
# checks (check_err, check_fail, tf_check_*) and ends in log_test TITLE.
# TESTS="test_a test_b" runs only those cases.
#
# The library is split by topic, as the kernel's net/forwarding/ is:
#   tf_core_lib.sh   kselftest glue, module load, checks and cases, the
#                    clock, conditions to wait on, queries
#   tf_topo_lib.sh   namespaces, veth pairs, the pair and load-balancer
#                    topologies, tf_listen/tf_idle in a namespace
#   tf_app_lib.sh    MariaDB, tf_reconnect, sysbench

# shellcheck source=tf_core_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/tf_core_lib.sh"
# shellcheck source=tf_topo_lib.sh
source "$TF_DIR/tf_topo_lib.sh"
# shellcheck source=tf_app_lib.sh
source "$TF_DIR/tf_app_lib.sh"
