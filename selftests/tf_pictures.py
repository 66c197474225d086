#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Checks tcpfaultctl's pictures against the events they came from.

  tf_pictures.py pcap EVENTS PCAP      tcpdump -nr lists the same packets
                                       (addresses, ports, flags, seq, ack,
                                       win, length), in order, with the
                                       events' spacing in time, and
                                       PCAP.verdicts has their verdicts
  tf_pictures.py svg EVENTS SVG [--model]
                                       the SVG parses as XML, has one arrow
                                       per event, each with the event's
                                       verdict, a cross on every drop, a
                                       slant on every delay; with --model,
                                       at least one window, each green or
                                       red as its mark says

Prints one line per failed check and exits 1, or says what it checked.
"""
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

SVG = "{http://www.w3.org/2000/svg}"


def events(path):
    evs = []
    with open(path) as f:
        for line in f:
            w = line.split()
            if len(w) < 2 or w[0] != "ts":
                continue
            evs.append(dict(zip(w[0::2], w[1::2])))
    return evs


def endpoint(s):
    """10.0.0.1:80 -> ("10.0.0.1", "80"); [fd00::1]:80 -> ("fd00::1", "80")."""
    host, port = s.rsplit(":", 1)
    return host.strip("[]"), port


# tcpdump's letters for TCP flags, from the event's SFRPAUEC
TCPDUMP_FLAG = {"S": "S", "F": "F", "R": "R", "P": "P", "A": ".", "U": "U",
                "E": "E", "C": "W"}

LINE = re.compile(r"^(?P<ts>\d+\.\d+) (?P<fam>IP6?) (?P<src>\S+) > (?P<dst>\S+): "
                  r"Flags \[(?P<flags>[^\]]*)\](?P<rest>.*)$")


def check_pcap(evs, pcap, fails):
    run = subprocess.run(["tcpdump", "-tt", "-S", "-nr", pcap], capture_output=True, text=True)
    err = [l for l in run.stderr.splitlines() if not l.startswith("reading from file")]
    if run.returncode or err:
        fails.append(f"tcpdump -nr: exit {run.returncode}, stderr {err}")
    lines = run.stdout.splitlines()
    if len(lines) != len(evs):
        fails.append(f"tcpdump lists {len(lines)} packets, the events are {len(evs)}")
    t0 = None
    for i, (line, ev) in enumerate(zip(lines, evs), 1):
        m = LINE.match(line)
        if not m:
            fails.append(f"packet {i}: cannot read tcpdump's line {line!r}")
            continue
        sh, sp = endpoint(ev["src"])
        dh, dp = endpoint(ev["dst"])
        fam = "IP6" if ":" in sh else "IP"
        want_flags = "none" if ev["flags"] == "-" else \
            "".join(sorted(TCPDUMP_FLAG[c] for c in ev["flags"]))
        got = {"fam": m["fam"], "src": m["src"], "dst": m["dst"].rstrip(":"),
               "flags": "".join(sorted(m["flags"])) if m["flags"] != "none" else "none"}
        want = {"fam": fam, "src": f"{sh}.{sp}", "dst": f"{dh}.{dp}", "flags": want_flags}
        if got != want:
            fails.append(f"packet {i}: {got} != event {want}")
        rest = {k: v.rstrip(":") for k, v in re.findall(r", (seq|ack|win|length) ([0-9:]+)", m["rest"])}
        length = int(ev["len"])
        if rest.get("length") != str(length):
            fails.append(f"packet {i}: length {rest.get('length')}, event len {length}")
        if rest.get("win") != ev.get("win", "0"):
            fails.append(f"packet {i}: win {rest.get('win')}, event win {ev.get('win', '0')}")
        seq = rest.get("seq")
        if seq is not None:
            want_seq = ev["seq"] if not length else f"{ev['seq']}:{(int(ev['seq']) + length) % 2**32}"
            if seq != want_seq:
                fails.append(f"packet {i}: seq {seq}, event seq {want_seq}")
        elif "S" in ev["flags"] or "R" in ev["flags"] or length:
            fails.append(f"packet {i}: no seq in {line!r}")
        if "A" in ev["flags"] and rest.get("ack") != ev["ack"]:
            fails.append(f"packet {i}: ack {rest.get('ack')}, event ack {ev['ack']}")
        # The events' spacing, to the microsecond of pcap's time stamps
        t = round(float(m["ts"]) * 1e6)
        if t0 is None:
            t0, e0 = t, int(ev["ts"]) // 1000
        elif abs((t - t0) - (int(ev["ts"]) // 1000 - e0)) > 1:
            fails.append(f"packet {i}: {t - t0} us after the first, event {int(ev['ts']) // 1000 - e0} us")
    try:
        with open(pcap + ".verdicts") as f:
            verdicts = f.read().splitlines()
    except OSError as e:
        fails.append(f"no {pcap}.verdicts: {e}")
        return
    want = [f"{i}:tcpfault rule {ev['rule']} dir {ev['dir']} verdict {ev['verdict']}"
            for i, ev in enumerate(evs, 1)]
    if verdicts != want:
        fails.append(f"{pcap}.verdicts: {verdicts[:3]}... != {want[:3]}...")


def check_svg(evs, path, model, fails):
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as e:
        fails.append(f"{path} is not XML: {e}")
        return
    if root.tag != SVG + "svg":
        fails.append(f"root element {root.tag}, not svg")
    arrows = [g for g in root.iter(SVG + "g") if "event" in g.get("class", "").split()]
    if len(arrows) != len(evs):
        fails.append(f"{len(arrows)} arrows, {len(evs)} events")
    for i, (g, ev) in enumerate(zip(arrows, evs), 1):
        cls = g.get("class").split()
        shapes = {c.get("class") for c in g.iter() if c.get("class")}
        if f"verdict-{ev['verdict']}" not in cls or g.get("data-ts") != ev["ts"]:
            fails.append(f"arrow {i}: class {cls} ts {g.get('data-ts')}, event {ev['verdict']} ts {ev['ts']}")
        if "arrow" not in shapes:
            fails.append(f"arrow {i}: no line of class arrow")
        lost = ev["verdict"] in ("drop", "reset", "reset-both")
        if lost != ("cross" in shapes):
            fails.append(f"arrow {i} ({ev['verdict']}): cross {'missing' if lost else 'on a delivered packet'}")
        if (ev["verdict"] == "delay") != ("slant" in cls):
            fails.append(f"arrow {i} ({ev['verdict']}): slanted only if delayed, class {cls}")
        label = "".join(t.text or "" for t in g.iter(SVG + "text"))
        if ev["flags"] not in label.split() or f"seq {ev['seq']}" not in label:
            fails.append(f"arrow {i}: label {label!r} lacks flags {ev['flags']} or seq {ev['seq']}")
    wins = [g for g in root.iter(SVG + "g") if "window" in g.get("class", "").split()]
    if model and not wins:
        fails.append("--model given, no window drawn")
    if not model and wins:
        fails.append(f"{len(wins)} windows without --model")
    for w in wins:
        cls = w.get("class").split()
        colours = {r.get("fill") for r in w.iter(SVG + "rect")}
        want = "#2e9e44" if "inside" in cls else "#d62728"
        if ("inside" in cls) == ("outside" in cls) or colours != {want}:
            fails.append(f"window {cls}: fill {colours}, want {want}")
    if not root.findall(f".//{SVG}text[@class='scale']"):
        fails.append("no text saying the time scale")


def main():
    if len(sys.argv) < 4 or sys.argv[1] not in ("pcap", "svg"):
        print(__doc__, file=sys.stderr)
        return 2
    evs = events(sys.argv[2])
    fails = []
    if not evs:
        fails.append(f"no events in {sys.argv[2]}")
    elif sys.argv[1] == "pcap":
        check_pcap(evs, sys.argv[3], fails)
    else:
        check_svg(evs, sys.argv[3], "--model" in sys.argv[4:], fails)
    for f in fails:
        print(f"# {sys.argv[1]}: {f}")
    if not fails:
        print(f"# {sys.argv[1]}: {len(evs)} events, {sys.argv[3]} matches")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
