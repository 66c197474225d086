# SPDX-License-Identifier: GPL-2.0
#
# tcpfault: module, tcpfaultctl, suites, checks.  See README.md.
#
#   make                    out/tcpfaultctl, and the module for the running
#                           kernel if its headers are installed
#   make module KVER=R      out/R/tcpfault.ko against /lib/modules/R/build
#   make module KERNEL=DIR  the same for a kernel built by scripts/build-kernel
#   make modules            the module for every kernel of KERNELS
#   make check              everything, tested in guests of both kernels
#                           (through the kselftest package, as a test VM)
#   make check KERNELS="R1 R2 DIR..."  the same on those kernels: releases
#                           (scripts/kernels: 6.1.0-57-rt-amd64, ...) or
#                           directories of kernels built by scripts/build-kernel
#                           (default: the generic flavour of each line)
#   make check-kernels      every suite on every installed kernel and flavour
#                           (generic, rt, cloud: scripts/install-deps
#                           --flavours) and the kernels built in out/kernel,
#                           one guest at a time; one table, kernel x suite,
#                           with each schedule's give-up time (not CI)
#   make check-debug        every suite on a KASAN/lockdep/kmemleak 6.12 kernel
#                           built from linux-source-6.12 (scripts/build-kernel
#                           --debug, cached in out/kernel; not part of make check)
#   make fuzz [FUZZ_TIME=S]  libFuzzer on the rule parser (default 600 s)
#   make demo               the incidents, end to end, with MariaDB in a guest
#   make bench [BENCH_KERNEL=6.1] [BENCH_CLOCK=virtual]  throughput table in
#                           a guest (real clock, or instruction-counted; not
#                           a test): BENCH_REPS, BENCH_SECONDS
#   make style / sparse     checkpatch --strict / sparse on the module
#   make kselftest-install INSTALL_PATH=DIR
#                           an installed kselftest tree that runs alone:
#                           run_kselftest.sh, the suites, their helpers,
#                           tcpfaultctl, the module for each kernel
#   make kselftest-tar      the same as out/tcpfault-kselftest.tar.gz
#   make check-kselftest-package  the tarball unpacked alone in a guest of
#                           each kernel, two suites through run_kselftest.sh
#   make install            module (running kernel), tool, man page, bash
#                           completion (make install-ctl: the last three)
#   make dkms-install       register the module with DKMS
#   make deb                out/deb/tcpfault-dkms_VERSION_all.deb (the module's
#                           source for DKMS) and tcpfaultctl_VERSION_amd64.deb,
#                           lintian-checked (dpkg-buildpackage in a copy of
#                           the tree under out/deb/)
#   make check-deb [KERNELS=...]  both packages installed, used, purged in a
#                           guest of each kernel (DKMS builds the module there)
#   make sign KEY=K CERT=C [KVER=R]  sign out/R/tcpfault.ko of each built
#                           kernel (or of R) with the kernel's sign-file
#   make check-sign         make sign's test (throwaway key, host only, a few
#                           seconds; part of make check)

# KERNEL=DIR: a kernel built here (scripts/build-kernel's install directory,
# with lib/modules/RELEASE/build): KVER and KDIR from it.
ifneq ($(KERNEL),)
KVER	:= $(notdir $(firstword $(wildcard $(KERNEL)/lib/modules/*)))
KDIR	:= $(abspath $(KERNEL))/lib/modules/$(KVER)/build
ifeq ($(KVER),)
$(error KERNEL=$(KERNEL): no lib/modules/RELEASE in it (not a scripts/build-kernel install directory))
endif
endif
KVER	?= $(shell uname -r)
KDIR	?= /lib/modules/$(KVER)/build
OUT	:= $(CURDIR)/out
MODOUT	:= $(OUT)/$(KVER)
SRCS	:= $(wildcard module/*.c module/*.h) Kbuild VERSION
# The kernels make modules/check-guests/... test: releases or built DIRs;
# KERNEL_RELEASES: their releases (a DIR's is its lib/modules/RELEASE).
KERNELS	 = $(shell scripts/kernels)
release_of = $(if $(findstring /,$(1)),$(notdir $(firstword $(wildcard $(1)/lib/modules/*))),$(1))
KERNEL_RELEASES = $(foreach k,$(KERNELS),$(call release_of,$(k)))
# kmake: `$(MAKE) module` for kernel $$k of a shell loop, either kind.
kmake	 = case $$k in */*) kv="KERNEL=$$k" ;; *) kv="KVER=$$k" ;; esac; $(MAKE) --no-print-directory module $$kv
# The one version: module (MODULE_VERSION, via Kbuild), tcpfaultctl -V, dkms.
VERSION	:= $(shell cat VERSION)
# make check-kernels: every flavour installed, every kernel built here (but
# the debug one: make check-debug).
ALL_KERNELS = $(shell scripts/kernels --all) \
	$(foreach v,$(wildcard $(OUT)/kernel/*/*/vmlinux),$(if $(findstring -debug/,$(v)),,$(patsubst %/vmlinux,%,$(v))))
PREFIX	?= /usr/local
KSRC	:= /usr/src/linux-source-6.12.tar.xz
CHECKPATCH := $(OUT)/checkpatch/scripts/checkpatch.pl

# W=1 warnings are errors in our own builds.
KBUILD_FLAGS := W=1 KCFLAGS=-Werror

.PHONY: kselftest-install kselftest-tar check-kselftest-package deb check-deb sign check-sign install-ctl
.PHONY: all module modules ctl selftests unit fuzz check check-guests check-kernels check-debug demo bench timing-table \
	install modules_install dkms-install style sparse clean deps

all: ctl
	@if [ -d $(KDIR) ]; then $(MAKE) --no-print-directory module; \
	else echo "make: no headers for $(KVER) in $(KDIR): module not built (try: make modules)"; fi

module: $(MODOUT)/tcpfault.ko

# Kbuild writes objects next to the sources: give each kernel its own tree
# of links, so builds for several kernels never share an object file.
$(MODOUT)/tcpfault.ko: $(SRCS)
	@test -d $(KDIR) || { echo "make: no kernel headers in $(KDIR) (install linux-headers-$(KVER))" >&2; exit 1; }
	@mkdir -p $(MODOUT)/module
	@ln -sf $(CURDIR)/Kbuild $(MODOUT)/Kbuild
	@ln -sf $(CURDIR)/VERSION $(MODOUT)/VERSION
	@for f in $(filter module/%,$(SRCS)); do ln -sf $(CURDIR)/$$f $(MODOUT)/$$f; done
	$(MAKE) -C $(KDIR) M=$(MODOUT) $(KBUILD_FLAGS) $(if $(C),C=$(C)) modules

modules:
	@test -n "$(KERNELS)" || { echo "make: no guest kernels installed (scripts/install-deps)" >&2; exit 1; }
	@for k in $(KERNELS); do $(kmake) || exit 1; done

ctl:
	$(MAKE) -C ctl O=$(OUT)

selftests: ctl
	$(MAKE) -C selftests

# The suites as an installed kselftest tree, and as a tarball of one (what
# tuxrun's KSELFTEST=URL and LAVA's kselftest jobs unpack).
kselftest-install: modules selftests
	@test -n "$(INSTALL_PATH)" || { echo "make: kselftest-install needs INSTALL_PATH=DIR" >&2; exit 2; }
	scripts/kselftest-install $(abspath $(INSTALL_PATH)) $(KERNEL_RELEASES)

kselftest-tar: modules selftests
	rm -rf $(OUT)/kselftest-package
	scripts/kselftest-install $(OUT)/kselftest-package $(KERNEL_RELEASES)
	tar -C $(OUT)/kselftest-package --owner=0 --group=0 -czf $(OUT)/tcpfault-kselftest.tar.gz .
	@echo "make: $(OUT)/tcpfault-kselftest.tar.gz ($$(du -h $(OUT)/tcpfault-kselftest.tar.gz | cut -f1))"

check-kselftest-package: kselftest-tar
	scripts/check-kselftest-package $(KERNELS)

# Host-side tests: parser, model, tcpfaultctl (under ASan/UBSan), its
# pictures (tcpdump, tshark, rsvg-convert: scripts/install-deps), 30 s of
# fuzzing the parser, and the suites' check/case library.
unit: deps
	$(MAKE) -C ctl check O=$(OUT)
	$(MAKE) -C selftests host_check

# A fuzzing campaign on the parser; `make unit` runs a short one.
fuzz:
	$(MAKE) -C ctl fuzz O=$(OUT) $(if $(FUZZ_TIME),FUZZ_TIME=$(FUZZ_TIME))

deps:
	@scripts/install-deps --check >/dev/null 2>&1 || scripts/install-deps

# Every suite, in a guest of every installed kernel, virtual clock, the
# guests side by side; consoles in out/check-RELEASE.log.
check-guests: kselftest-tar
	scripts/check-guests $(KERNELS)

# Every installed kernel and flavour, and every kernel built in out/kernel
# (scripts/build-kernel), one guest at a time; the kernel x suite table and
# the give-up times: out/check-kernels.txt.  Needs scripts/install-deps
# --flavours for the rt and cloud kernels; never part of make check or CI.
check-kernels: deps
	$(MAKE) kselftest-tar KERNELS="$(ALL_KERNELS)"
	scripts/check-guests -j 1 $(ALL_KERNELS); \
	st=$$?; scripts/timing-table --matrix $(foreach k,$(ALL_KERNELS),$(OUT)/check-$(call release_of,$(k)).log) \
		>$(OUT)/check-kernels.txt; mt=$$?; cat $(OUT)/check-kernels.txt; [ $$st -eq 0 ] && [ $$mt -eq 0 ]

# Documentation/timers.rst: model vs measured, from the suites' logs.
timing-table:
	@ls $(OUT)/check-*.log >/dev/null 2>&1 || $(MAKE) modules selftests check-guests
	scripts/timing-table

check: deps
	$(MAKE) modules
	$(MAKE) check-sign
	$(MAKE) style sparse
	$(MAKE) selftests unit
	$(MAKE) check-guests

# The suites on a debug kernel: KASAN, lockdep, DEBUG_ATOMIC_SLEEP, kmemleak
# (scripts/build-kernel --debug builds it once, an hour on 2 cores; the
# module against it). Too slow for CI. Console in out/check-debug.log.
check-debug: deps
	scripts/check-debug

demo: deps
	$(MAKE) modules selftests
	scripts/demo

# iperf3 with and without the module and its rules, nftables beside them.
bench: deps
	$(MAKE) modules ctl
	scripts/bench $(if $(BENCH_KERNEL),--kernel $(BENCH_KERNEL)) $(if $(BENCH_CLOCK),--clock $(BENCH_CLOCK))

$(CHECKPATCH):
	@test -f $(KSRC) || { echo "make: $(KSRC) missing (apt-get install linux-source-6.12)" >&2; exit 1; }
	@mkdir -p $(OUT)/checkpatch
	tar -xJf $(KSRC) -C $(OUT)/checkpatch --strip-components=1 \
		--wildcards '*/scripts/checkpatch.pl' '*/scripts/spelling.txt' \
		'*/scripts/const_structs.checkpatch'

# module/tf_names.h holds the EM()/EMe() lists of the kernel's trace
# headers, which checkpatch takes for complex macros: checked without
# those four types, everything else in full.  module/tf_parse_compat.h,
# the parser's user-space shim (never built into the module), defines u8
# and __printf from libc's uint8_t and __attribute__((format)): checked
# without the two types that ask for the kernel's own.
style: $(CHECKPATCH)
	$(CHECKPATCH) --strict --no-tree --terse --show-types -f \
		$(filter-out module/tf_names.h module/tf_parse_compat.h,$(wildcard module/*.c module/*.h))
	$(CHECKPATCH) --strict --no-tree --terse --show-types \
		--ignore COMPLEX_MACRO,MACRO_ARG_REUSE,MACRO_ARG_UNUSED,TRAILING_SEMICOLON \
		-f module/tf_names.h
	$(CHECKPATCH) --strict --no-tree --terse --show-types \
		--ignore PREFER_KERNEL_TYPES,PREFER_DEFINED_ATTRIBUTE_MACRO \
		-f module/tf_parse_compat.h

# C=2: sparse on every file, not only the recompiled ones.
sparse:
	@for k in $(KERNELS); do \
		r=$$(case $$k in */*) ls $$k/lib/modules | head -n 1 ;; *) echo $$k ;; esac); \
		mkdir -p $(OUT)/$$r; \
		$(kmake) C=2 2>&1 | tee $(OUT)/$$r/sparse.log | grep -E 'warning|error' ; \
		! grep -qE ': (warning|error):' $(OUT)/$$r/sparse.log || exit 1; \
	done; echo "sparse: clean on $(KERNEL_RELEASES)"

modules_install: module
	$(MAKE) -C $(KDIR) M=$(MODOUT) $(if $(DESTDIR),INSTALL_MOD_PATH=$(DESTDIR)) modules_install
	depmod $(if $(DESTDIR),-b $(DESTDIR)) -a $(KVER)

install: modules_install install-ctl

install-ctl: ctl
	install -D -m 0755 $(OUT)/tcpfaultctl $(DESTDIR)$(PREFIX)/sbin/tcpfaultctl
	install -D -m 0644 ctl/tcpfaultctl.8 $(DESTDIR)$(PREFIX)/share/man/man8/tcpfaultctl.8
	install -D -m 0644 ctl/tcpfaultctl.bash-completion \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/tcpfaultctl

dkms-install:
	rm -rf /usr/src/tcpfault-$(VERSION)
	mkdir -p /usr/src/tcpfault-$(VERSION)
	cp -r Kbuild VERSION module /usr/src/tcpfault-$(VERSION)/
	sed 's/#MODULE_VERSION#/$(VERSION)/' dkms.conf >/usr/src/tcpfault-$(VERSION)/dkms.conf
	dkms add tcpfault/$(VERSION)
	dkms build tcpfault/$(VERSION)
	dkms install tcpfault/$(VERSION)

# The packages, built from a copy of what they are made of (dpkg-buildpackage
# writes its results to the parent directory: out/deb/), then lintian.
DEB_TREE := Makefile Kbuild VERSION dkms.conf module ctl debian Documentation
deb:
	@scripts/install-deps --deb --check >/dev/null 2>&1 || scripts/install-deps --deb
	rm -rf $(OUT)/deb
	mkdir -p $(OUT)/deb/tcpfault-$(VERSION)
	cp -a $(DEB_TREE) $(OUT)/deb/tcpfault-$(VERSION)/
	cd $(OUT)/deb/tcpfault-$(VERSION) && dpkg-buildpackage -us -uc -b
	lintian --display-info --pedantic --fail-on error,warning,info,pedantic $(OUT)/deb/tcpfault_$(VERSION)_amd64.changes
	@ls -l $(OUT)/deb/*.deb

check-deb: deb
	scripts/check-deb $(if $(filter command line environment,$(origin KERNELS)),$(KERNELS))

# Module signing for Secure Boot / module.sig_enforce (Documentation/
# admin-guide.rst): every out/R/tcpfault.ko built, or KVER=R's alone.
SIGN_KOS = $(if $(filter command line environment,$(origin KVER)),$(MODOUT)/tcpfault.ko,$(wildcard $(OUT)/*/tcpfault.ko))
sign:
	@test -n "$(KEY)" -a -n "$(CERT)" || { echo "make: sign needs KEY=private-key.pem CERT=certificate (PEM or DER)" >&2; exit 2; }
	@test -n "$(SIGN_KOS)" || { echo "make: no out/RELEASE/tcpfault.ko to sign (make module or make modules)" >&2; exit 1; }
	scripts/sign-modules "$(KEY)" "$(CERT)" $(SIGN_KOS)

check-sign: modules
	scripts/check-sign $(KERNELS)

clean:
	rm -rf $(OUT)
