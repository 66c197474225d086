#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# fetch-kselftest.sh [DEST]: extract the kernel's kselftest framework files
# (lib.mk, kselftest.h, kselftest/*.sh, net/lib.sh, ...) from Debian's
# linux-source-6.12 tarball into DEST (default: out/kselftest of the project),
# as DEST/tools/testing/selftests/...  Not committed: a cache, made once.
# Set KSRC to use another linux-source tarball.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
dest=${1:-$here/../out/kselftest}
ksrc=${KSRC:-$(ls /usr/src/linux-source-6.12.tar.* 2>/dev/null | head -n1)}
stamp=$dest/.fetched

if [ -f "$stamp" ]; then
	exit 0
fi
if [ -z "$ksrc" ] || [ ! -r "$ksrc" ]; then
	echo "fetch-kselftest.sh: no /usr/src/linux-source-6.12.tar.* (apt-get install linux-source-6.12, or scripts/install-deps)" >&2
	exit 1
fi

top=$(basename "$ksrc"); top=${top%.tar.*}
tmp=$(mktemp -d "${dest%/*}/.kselftest.XXXXXX" 2>/dev/null || { mkdir -p "${dest%/*}" && mktemp -d "${dest%/*}/.kselftest.XXXXXX"; })
trap 'rm -rf "$tmp"' EXIT

echo "  FETCH   kselftest files from $ksrc" >&2
st=tools/testing/selftests
tar -xf "$ksrc" -C "$tmp" --strip-components=1 --wildcards \
	"$top/$st/lib.mk" \
	"$top/$st/kselftest.h" \
	"$top/$st/kselftest_harness.h" \
	"$top/$st/kselftest/*" \
	"$top/$st/net/lib.sh" \
	"$top/$st/run_kselftest.sh"
chmod -R u+w "$tmp"
touch "$tmp/.fetched"
rm -rf "$dest"
mv "$tmp" "$dest"
trap - EXIT
