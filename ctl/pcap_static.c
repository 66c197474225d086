// SPDX-License-Identifier: GPL-2.0
/*
 * Only in the static tcpfaultctl.  Debian's static libpcap pulls in its
 * D-Bus capture module, and libdbus-1.a refers to two functions of
 * libsystemd, which Debian ships only as a shared library.  tcpfaultctl
 * never captures (it writes files with pcap_open_dead), so D-Bus never
 * asks; if it did, the answer is the one systemd's own sd-daemon.c gave
 * when built without systemd: no sockets were passed, fd is not one.
 */
int sd_listen_fds(int unset_environment);
int sd_is_socket(int fd, int family, int type, int listening);

int sd_listen_fds(int unset_environment)
{
	(void)unset_environment;
	return 0;
}

int sd_is_socket(int fd, int family, int type, int listening)
{
	(void)fd;
	(void)family;
	(void)type;
	(void)listening;
	return 0;
}
