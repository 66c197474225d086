# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Applications of the suites and the demo (tcpfault_lib.sh sources it): a
# real MariaDB server and client, the reconnecting client of the server
# restart incident, and Debian's sysbench.

# --- MariaDB
# A real MariaDB server (Debian's mariadbd) in a namespace, for the suites
# and the demo that replay the incidents with the real client. The data
# directory is fresh on tmpfs for each start; no system tables are
# installed (mariadb-install-db costs seconds of CPU under the virtual
# clock): --skip-grant-tables lets any user in, InnoDB is off (MyISAM is
# enough for SELECT SLEEP()), so mariadbd is ready about 1 s after exec.
# Option files are never read (--no-defaults): the host's /etc/mysql must
# not change what the tests see.

TF_MARIADB_PORT=3306

# tf_mariadb_missing: print why MariaDB cannot run here (nothing if it can).
tf_mariadb_missing()
{
	local tool

	for tool in mariadbd mariadb; do
		if ! command -v "$tool" >/dev/null; then
			echo "$tool not found (apt-get install mariadb-server mariadb-client)"
			return 0
		fi
	done
}

# tf_mariadb_start NS [ADDR...]: start mariadbd in NS listening on
# 127.0.0.1 (and ADDR...) port 3306, and wait until the real client gets an
# answer over TCP (which also has both binaries' pages read in over 9p, so
# later client runs cost no file I/O while the suites time them). Sets
# TF_MARIADB_NS, TF_MARIADB_PID, TF_MARIADB_DIR.
tf_mariadb_start()
{
	local ns=$1 addrs=127.0.0.1 dir

	shift
	for dir in "$@"; do
		addrs=$addrs,$dir
	done
	dir=$(mktemp -d /tmp/tf_mariadb.XXXXXX) || return 1
	# The "mysql" schema directory, empty, quiets the server's lookups of
	# replication state it does not have.
	mkdir -p "$dir/data/mysql"
	TF_MARIADB_NS=$ns
	TF_MARIADB_DIR=$dir
	ip netns exec "$ns" mariadbd --no-defaults --user=root \
		--datadir="$dir/data" --socket="$dir/sock" --pid-file="$dir/pid" \
		--log-error="$dir/error.log" --bind-address="$addrs" \
		--port="$TF_MARIADB_PORT" --skip-grant-tables --skip-name-resolve \
		--innodb=OFF --default-storage-engine=MyISAM \
		--default-tmp-storage-engine=MyISAM --performance-schema=OFF \
		--skip-log-bin </dev/null >/dev/null 2>&1 &
	TF_MARIADB_PID=$!
	# Guest seconds, not wall ones: under the virtual clock the guest
	# clock leaps while the binaries load over 9p.
	if ! slowwait 300 grep -qs 'ready for connections' "$dir/error.log" ||
	   ! tf_mariadb_client -e 'SELECT 1' >/dev/null; then
		echo "# mariadbd did not start in $ns:"
		tail -n 5 "$dir/error.log" 2>/dev/null | tf_diag
		tf_mariadb_stop
		return 1
	fi
}

# tf_mariadb_client [--timeout S] ARGS...: the real client in
# TF_MARIADB_NS, to 127.0.0.1:3306 as root (no password), no option files,
# ARGS appended (a later -h wins). Output is batch-mode, without column
# names. --timeout: killed after S seconds (timeout(1): status 124).
tf_mariadb_client()
{
	local wrap=()

	if [ "${1:-}" = --timeout ]; then
		wrap=(timeout "$2")
		shift 2
	fi
	tf_nsx "$TF_MARIADB_NS" "${wrap[@]}" mariadb --no-defaults \
		--connect-timeout=5 -h127.0.0.1 -P"$TF_MARIADB_PORT" -uroot -N -B "$@"
}

# tf_mariadb_stop: shut mariadbd down (SIGTERM: a normal shutdown; SIGKILL
# if it is not gone in 30 s) and remove its data directory.
tf_mariadb_stop()
{
	[ -n "${TF_MARIADB_PID:-}" ] || return 0
	kill "$TF_MARIADB_PID" 2>/dev/null
	# Until it is reaped, an exited child still answers kill -0: ask its log.
	if ! slowwait 30 grep -qs 'Shutdown complete' "$TF_MARIADB_DIR/error.log"; then
		kill -KILL "$TF_MARIADB_PID" 2>/dev/null
	fi
	wait "$TF_MARIADB_PID" 2>/dev/null
	rm -rf "$TF_MARIADB_DIR"
	TF_MARIADB_PID=
}

# server's /proc/PID/net/tcp, which lists its namespace's sockets (a
# request socket as SYN-RECV).
tf_mariadb_sockets()
{
	local sl laddr raddr st rest lp rp

	while read -r sl laddr raddr st rest; do
		[ "$sl" = sl ] && continue
		lp=$((16#${laddr#*:}))
		rp=$((16#${raddr#*:}))
		[ "$lp" = "$TF_MARIADB_PORT" ] || [ "$rp" = "$TF_MARIADB_PORT" ] || continue
		case $st in
		01) echo "ESTAB $lp $rp" ;;
		03) echo "SYN-RECV $lp $rp" ;;
		0A) echo "LISTEN $lp $rp" ;;
		06) ;;
		*) echo "state-$st $lp $rp" ;;
		esac
	done <"/proc/$TF_MARIADB_PID/net/tcp"
}

# --- Server restart (Documentation/scenarios.rst: server restart under load)
# The pieces of restart.sh, also for the demo: a MariaDB client that
# reconnects the way that incident's sysbench build did, the CLOSE-WAIT sockets
# it leaves, and Debian's sysbench against tf_mariadb_start's server.

# tf_reconnect_in NS OUT ADDR [TF_RECONNECT_OPTS...]: tf_reconnect to
# MariaDB at ADDR port 3306 from NS, in the background, its output in OUT;
# waits until its session has answered a ping. Its pid is in
# TF_RECONNECT_PID.
tf_reconnect_in()
{
	local ns=$1 out=$2 addr=$3

	shift 3
	# Not through tf_nsx (a function: its pid would be a subshell's).
	nsenter --net="/run/netns/$ns" tf_reconnect --ready "$out.ready" "$@" \
		"$addr" "$TF_MARIADB_PORT" >"$out" 2>&1 &
	# shellcheck disable=SC2034 # for the suites
	TF_RECONNECT_PID=$!
	slowwait 120 test -e "$out.ready" && return 0
	tf_diag <"$out"
	return 1
}

# tf_closewait_recvq NS PORT: the Recv-Q (unread bytes, plus 1 for an
# unread FIN) of each CLOSE-WAIT socket in NS whose peer is port PORT, one
# a line.
tf_closewait_recvq()
{
	tf_nsx "$1" ss -Htan state close-wait "( dport = :$2 )" | awk '{ print $1 }'
}

# tf_sysbench_table: database sbtest with sysbench's table sbtest1 (100
# rows, MyISAM: the server runs without InnoDB) in tf_mariadb_start's
# server, made by SQL in a moment (sysbench's "prepare" costs seconds of
# CPU under the virtual clock).
tf_sysbench_table()
{
	local i rows=

	for i in $(seq 100); do
		rows+="${rows:+,}($i,$((RANDOM % 100)),'c$i','pad$i')"
	done
	tf_mariadb_client -e "CREATE DATABASE IF NOT EXISTS sbtest;
		DROP TABLE IF EXISTS sbtest.sbtest1;
		CREATE TABLE sbtest.sbtest1 (id INTEGER NOT NULL AUTO_INCREMENT,
			k INTEGER DEFAULT '0' NOT NULL, c CHAR(120) DEFAULT '' NOT NULL,
			pad CHAR(60) DEFAULT '' NOT NULL, PRIMARY KEY (id), KEY k_1 (k))
			ENGINE=MyISAM;
		INSERT INTO sbtest.sbtest1 VALUES $rows;"
}

# tf_sysbench NS ADDR ARGS...: Debian's sysbench oltp_read_only in NS
# against tf_mariadb_start's server at ADDR, on tf_sysbench_table's table
# (or one of its own "prepare"), ARGS appended (run, --threads=1 ...).
tf_sysbench()
{
	local ns=$1 addr=$2

	shift 2
	tf_nsx "$ns" sysbench oltp_read_only --db-driver=mysql --mysql-host="$addr" \
		--mysql-port="$TF_MARIADB_PORT" --mysql-user=root --mysql-db=sbtest \
		--mysql-storage-engine=myisam --tables=1 --table-size=100 "$@"
}
# --- end of Server restart
