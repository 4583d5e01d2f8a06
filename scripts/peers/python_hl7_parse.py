#!/usr/bin/python3
"""Benchmark peer: parse every message of an HL7 v2 file with python-hl7.

Usage: /usr/bin/python3 scripts/peers/python_hl7_parse.py FILE

Splits FILE into messages at segments that start with "MSH|" (segments are
separated by CR; LF and CRLF are accepted and turned into CR), parses each one
with hl7.parse() (which builds the full segment/field/component tree eagerly)
and reads PID-5 of each message so the work cannot be skipped. Prints the
number of messages parsed on stdout. With HL7PEER_STATS=1 it also prints the
elapsed time and throughput of the read+split+parse loop on stderr.

Needs Debian's python3-hl7 (use /usr/bin/python3, not a pyenv interpreter).
"""
import os
import sys
import time

try:
    import hl7
except ImportError:  # pragma: no cover - environment problem
    sys.exit("python_hl7_parse.py: cannot import hl7; install Debian's python3-hl7 "
             "and run with /usr/bin/python3")


def split_messages(data):
    if "\n" in data:
        data = data.replace("\r\n", "\r").replace("\n", "\r")
    # Every message begins with a segment "MSH|..." at the start of the file or
    # right after a CR.
    parts = data.split("\rMSH|")
    first = parts[0]
    out = []
    if first.startswith("MSH|"):
        out.append(first)
    elif first.strip("\r"):
        # Leading garbage before the first MSH: keep only from the first MSH.
        idx = first.find("MSH|")
        if idx >= 0:
            out.append(first[idx:])
    out.extend("MSH|" + p for p in parts[1:])
    return out


def main(argv):
    if len(argv) != 2 or argv[1] in ("-h", "--help"):
        sys.stderr.write("usage: python_hl7_parse.py FILE\n")
        return 2
    t0 = time.perf_counter()
    with open(argv[1], "rb") as fh:
        raw = fh.read()
    # HL7 v2 files in the wild are often latin-1/cp1252; utf-8 first.
    try:
        data = raw.decode("utf-8")
    except UnicodeDecodeError:
        data = raw.decode("latin-1")
    messages = split_messages(data)
    count = 0
    touched = 0
    for text in messages:
        msg = hl7.parse(text)
        try:
            name = msg.segment("PID")[5]
            touched += len(str(name))
        except (KeyError, IndexError):
            pass
        count += 1
    elapsed = time.perf_counter() - t0
    print(count, flush=True)
    if os.environ.get("HL7PEER_STATS", "") not in ("", "0"):
        mb = len(raw) / 1048576.0
        sys.stderr.write("python-hl7 %s: %d messages, %.2f MB in %.3f s = %.2f MB/s, %.0f msg/s "
                         "(PID-5 chars touched: %d)\n" % (
                             getattr(hl7, "__version__", "?"), count, mb, elapsed,
                             mb / elapsed if elapsed else 0.0, count / elapsed if elapsed else 0.0, touched))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
