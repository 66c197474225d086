# SPDX-License-Identifier: GPL-2.0
#
# tcpfault: module, tcpfaultctl, suites, checks.  See README.md.
#
#   make                    module for the running kernel (if its headers
#                           exist) and out/tcpfaultctl
#   make module KVER=R      out/R/tcpfault.ko against /lib/modules/R/build
#   make modules            the module for every installed guest kernel
#   make check              everything, tested on both Debian kernels
#   make demo               the SYN blackhole, end to end, in a guest

KVER	?= $(shell uname -r)
KDIR	?= /lib/modules/$(KVER)/build
OUT	:= $(CURDIR)/out
MODOUT	:= $(OUT)/$(KVER)
SRCS	:= $(wildcard module/*.c module/*.h) Kbuild
KERNELS	= $(shell scripts/kernels)
KSRC612	= /usr/src/linux-source-6.12.tar.xz
KSFT	:= $(OUT)/kselftest

# W=1 warnings are errors in our own builds.
KBUILD_FLAGS := W=1 KCFLAGS=-Werror

.PHONY: all module modules ctl unit check demo install modules_install \
	dkms-install style sparse clean deps

all: ctl
	@if [ -d $(KDIR) ]; then $(MAKE) --no-print-directory module; \
	else echo "make: no headers for $(KVER) in $(KDIR): module not built (try make modules)"; fi

module: $(MODOUT)/tcpfault.ko

# Kbuild writes objects next to the sources: give each kernel its own tree
# of links, so builds for several kernels never share an object file.
$(MODOUT)/tcpfault.ko: $(SRCS)
	@test -d $(KDIR) || { echo "make: no kernel headers in $(KDIR) (install linux-headers-$(KVER))" >&2; exit 1; }
	@mkdir -p $(MODOUT)/module
	@ln -sf $(CURDIR)/Kbuild $(MODOUT)/Kbuild
	@for f in $(filter module/%,$(SRCS)); do ln -sf $(CURDIR)/$$f $(MODOUT)/$$f; done
	$(MAKE) -C $(KDIR) M=$(MODOUT) $(KBUILD_FLAGS) $(if $(C),C=$(C)) modules

modules:
	@for k in $(KERNELS); do $(MAKE) --no-print-directory module KVER=$$k || exit 1; done

ctl:
	$(MAKE) -C ctl O=$(OUT)

clean:
	rm -rf $(OUT)
	$(MAKE) -C ctl clean O=$(OUT) 2>/dev/null || true
