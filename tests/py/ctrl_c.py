"""Runs ARGV on a pseudo-terminal, as from a user's shell, presses Ctrl-C
once the program has printed "ready", and prints all it printed."""
import os
import pty
import sys
import time

pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
out, sent = b"", False
deadline = time.monotonic() + 30
while time.monotonic() < deadline:
    try:
        chunk = os.read(fd, 1024)
    except OSError:  # EIO: the terminal's last user is gone
        break
    if not chunk:
        break
    out += chunk
    if not sent and b"ready" in out:
        os.write(fd, b"\x03")
        sent = True
os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors="replace").replace("\r", ""))
