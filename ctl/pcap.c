// SPDX-License-Identifier: GPL-2.0
/*
 * tcpfaultctl events --pcap FILE: the touched packets as a capture.
 *
 * The module records headers, not packets, so each event is rebuilt: an
 * IPv4 or IPv6 header (TTL/hop limit 64, DF, no options) and a TCP header
 * without options from the event's addresses, ports, seq, ack, flags and
 * window ("win", 0 in files from before it was recorded).  The payload is
 * not known, only its length: the record holds the headers (caplen) and
 * says the full length (len), the way a capture with a short snaplen does,
 * so tcpdump prints the right "length" and Wireshark "Packet size limited
 * during capture".  Whole packets (no payload) get a valid TCP checksum.
 *
 * Link type LINUX_SLL (what "tcpdump -i any" writes): its packet type
 * carries the event's direction (in: to us, out: outgoing, fwd: to
 * another host).  Time stamps are the event's CLOCK_MONOTONIC time moved to
 * the wall clock by the offset between the two clocks when the file was
 * opened.
 *
 * libpcap writes classic pcap, which has no per-packet comment: the verdict
 * goes to FILE.verdicts, one line per packet, "N:tcpfault rule R dir D
 * verdict V" (N counting from 1, as Wireshark does), the form editcap -a
 * takes to make a pcapng whose packet comments Wireshark shows.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <pcap/pcap.h>

#include "tcpfaultctl.h"

#define TF_PCAP_SNAPLEN	262144
#define SLL_HDR_LEN	16
#define IP4_HDR_LEN	20
#define IP6_HDR_LEN	40
#define TCP_HDR_LEN	20

/* sll_pkttype values (linux/if_packet.h) */
#define SLL_HOST	0
#define SLL_OTHERHOST	3
#define SLL_OUTGOING	4

struct tf_pcap {
	pcap_t *dead;
	pcap_dumper_t *dump;
	FILE *verdicts;
	int64_t mono_to_real;	/* ns to add to CLOCK_MONOTONIC */
	unsigned long long packets;
};

static int64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

struct tf_pcap *tf_pcap_open(const char *file)
{
	struct tf_pcap *p = calloc(1, sizeof(*p));
	char *side = malloc(strlen(file) + sizeof(".verdicts"));

	if (!p || !side) {
		tf_err("out of memory");
		goto err;
	}
	sprintf(side, "%s.verdicts", file);
	p->dead = pcap_open_dead(DLT_LINUX_SLL, TF_PCAP_SNAPLEN);
	if (!p->dead) {
		tf_err("pcap_open_dead failed");
		goto err;
	}
	p->dump = pcap_dump_open(p->dead, file);
	if (!p->dump) {
		tf_err("cannot write \"%s\": %s", file, pcap_geterr(p->dead));
		goto err;
	}
	p->verdicts = fopen(side, "w");
	if (!p->verdicts) {
		tf_err("cannot write \"%s\": %s", side, strerror(errno));
		goto err;
	}
	/* good to the few ns between the two readings */
	p->mono_to_real = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_MONOTONIC);
	free(side);
	return p;
err:
	free(side);
	tf_pcap_close(p);
	return NULL;
}

int tf_pcap_close(struct tf_pcap *p)
{
	int ret = 0;

	if (!p)
		return 0;
	if (p->dump) {
		if (pcap_dump_flush(p->dump))
			ret = -EIO;
		pcap_dump_close(p->dump);
	}
	if (p->verdicts && fclose(p->verdicts))
		ret = -EIO;
	if (p->dead)
		pcap_close(p->dead);
	if (ret)
		tf_err("writing the capture: %s", strerror(-ret));
	free(p);
	return ret;
}

/* "10.0.0.1:40112" or "[fd00::1]:40112" into an address and a port. */
static int parse_endpoint(const char *s, int *family, uint8_t addr[16], uint16_t *port)
{
	char host[64];
	const char *colon = strrchr(s, ':');
	uint64_t v;
	size_t n;

	if (!colon || !tf_parse_u64(colon + 1, 65535, &v))
		return -EINVAL;
	n = colon - s;
	if (s[0] == '[') {
		if (n < 2 || s[n - 1] != ']')
			return -EINVAL;
		s++;
		n -= 2;
		*family = AF_INET6;
	} else {
		*family = AF_INET;
	}
	if (n >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, n);
	host[n] = '\0';
	if (inet_pton(*family, host, addr) != 1)
		return -EINVAL;
	*port = v;
	return 0;
}

static uint32_t csum_add(uint32_t sum, const uint8_t *b, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)b[i] << 8 | b[i + 1];
	if (n & 1)
		sum += (uint32_t)b[n - 1] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum & 0xffff;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v);
}

/* Event flag letters (SFRPAUEC) to TCP header bits; false on a bad letter. */
static bool tcp_flags(const char *s, uint8_t *bits)
{
	static const char letters[] = "FSRPAUEC";	/* bit 0 (FIN) upwards */

	*bits = 0;
	if (!strcmp(s, "-"))
		return true;
	for (; *s; s++) {
		const char *l = strchr(letters, *s);

		if (!l)
			return false;
		*bits |= 1 << (l - letters);
	}
	return true;
}

int tf_pcap_write(struct tf_pcap *p, const struct tf_event_line *ev)
{
	uint8_t pkt[SLL_HDR_LEN + IP6_HDR_LEN + TCP_HDR_LEN] = { 0 };
	uint8_t saddr[16], daddr[16], *ip = pkt + SLL_HDR_LEN, *th, flags;
	int sfam, dfam;
	uint16_t sport, dport, pkttype;
	size_t alen, iplen;
	struct pcap_pkthdr h;
	uint32_t sum;
	int64_t ts;

	if (parse_endpoint(ev->src, &sfam, saddr, &sport) ||
	    parse_endpoint(ev->dst, &dfam, daddr, &dport) || sfam != dfam ||
	    !tcp_flags(ev->flags, &flags)) {
		tf_err("cannot rebuild a packet from event at ts %llu (%s > %s flags %s)",
		       (unsigned long long)ev->ts, ev->src, ev->dst, ev->flags);
		return -EINVAL;
	}
	pkttype = !strcmp(ev->dir, "out") ? SLL_OUTGOING :
		  !strcmp(ev->dir, "fwd") ? SLL_OTHERHOST : SLL_HOST;
	put16(pkt, pkttype);
	put16(pkt + 2, 65534);		/* ARPHRD_NONE: no link-layer address */
	put16(pkt + 14, sfam == AF_INET ? 0x0800 : 0x86dd);

	alen = sfam == AF_INET ? 4 : 16;
	iplen = sfam == AF_INET ? IP4_HDR_LEN : IP6_HDR_LEN;
	th = ip + iplen;
	if (sfam == AF_INET) {
		uint64_t tot = IP4_HDR_LEN + TCP_HDR_LEN + ev->len;

		ip[0] = 0x45;
		put16(ip + 2, tot > 65535 ? 65535 : tot);
		put16(ip + 6, 0x4000);	/* DF */
		ip[8] = 64;
		ip[9] = IPPROTO_TCP;
		memcpy(ip + 12, saddr, 4);
		memcpy(ip + 16, daddr, 4);
		put16(ip + 10, csum_fold(csum_add(0, ip, IP4_HDR_LEN)));
	} else {
		uint64_t plen = TCP_HDR_LEN + ev->len;

		ip[0] = 0x60;
		put16(ip + 4, plen > 65535 ? 65535 : plen);
		ip[6] = IPPROTO_TCP;
		ip[7] = 64;
		memcpy(ip + 8, saddr, 16);
		memcpy(ip + 24, daddr, 16);
	}
	put16(th, sport);
	put16(th + 2, dport);
	put32(th + 4, ev->seq);
	put32(th + 8, ev->ack);
	th[12] = (TCP_HDR_LEN / 4) << 4;
	th[13] = flags;
	put16(th + 14, ev->win);
	if (!ev->len) {		/* the whole segment is here: checksum it */
		uint8_t pseudo[4] = { 0, IPPROTO_TCP };	/* zero, protocol, length */

		sum = csum_add(0, saddr, alen);
		sum = csum_add(sum, daddr, alen);
		put16(pseudo + 2, TCP_HDR_LEN);
		sum = csum_add(sum, pseudo, sizeof(pseudo));
		put16(th + 16, csum_fold(csum_add(sum, th, TCP_HDR_LEN)));
	}

	ts = (int64_t)ev->ts + p->mono_to_real;
	h.ts.tv_sec = ts / 1000000000;
	h.ts.tv_usec = ts % 1000000000 / 1000;
	h.caplen = SLL_HDR_LEN + iplen + TCP_HDR_LEN;
	h.len = h.caplen + (ev->len > TF_PCAP_SNAPLEN ? TF_PCAP_SNAPLEN : ev->len);
	pcap_dump((u_char *)p->dump, &h, pkt);
	p->packets++;
	fprintf(p->verdicts, "%llu:tcpfault rule %llu dir %s verdict %s\n", p->packets,
		(unsigned long long)ev->rule, ev->dir, ev->verdict);
	return 0;
}

/* After each batch when following: readers of the files see whole packets. */
int tf_pcap_flush(struct tf_pcap *p)
{
	if (pcap_dump_flush(p->dump) || fflush(p->verdicts)) {
		tf_err("writing the capture: %s", strerror(errno));
		return -EIO;
	}
	return 0;
}
