"""A client of the run supervisor that is not the library: what a hostile
or broken process can send on DBCLONE_SOCKET.

  run_client.py made ENGINE NAME SPEC...  report NAME as made, print the
                                          answer, hang up
  run_client.py half|silent|flood         hold the socket (half a line, no
                                          hello at all, 10 MB without a
                                          newline) until killed
"""
import os
import re
import socket
import sys
import time

# The protocol's version, as backends/wire.h says it.
with open(os.path.join(os.path.dirname(__file__), "..", "..", "backends", "wire.h")) as h:
    VERSION = int(re.search(r"^#define WIRE_VERSION (\d+)$", h.read(), re.M).group(1))


def connect():
    s = socket.socket(socket.AF_UNIX)
    s.connect(os.environ["DBCLONE_SOCKET"])
    return s


def hello(s):
    s.sendall(b"hello\t%d\t%d\n" % (os.getpid(), VERSION))
    return s.makefile("rb").readline().decode().rstrip("\n")


def main():
    mode = sys.argv[1]
    if mode == "made":
        s = connect()
        hello(s)
        s.sendall(("\t".join(["made", sys.argv[2], sys.argv[3], "1.0"] +
                             sys.argv[4:]) + "\n").encode())
        print(s.makefile("rb").readline().decode().rstrip("\n"))
        s.close()
        return
    socks = []
    if mode == "silent":
        socks = [connect() for _ in range(3)]
    elif mode == "half":
        s = connect()
        hello(s)
        s.sendall(b"clone\tpg\t")
        socks = [s]
    elif mode == "flood":
        s = connect()
        hello(s)
        try:
            s.sendall(b"x" * (10 * 1024 * 1024))
        except OSError as e:
            print("flood cut:", e.strerror, flush=True)
        socks = [s]
    print("holding", flush=True)
    while True:
        time.sleep(1)


main()
