import os
import subprocess
import sys

import pytest


@pytest.fixture(scope="session")
def server():
    proc = subprocess.Popen([sys.executable, os.path.join(os.path.dirname(__file__), "server.py")],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def ask(name):
        proc.stdin.write(name + "\n")
        proc.stdin.flush()
        return int(proc.stdout.readline())

    ask("session")  # the setup every test assumes, written by the server
    yield ask
    proc.stdin.close()
    proc.wait()
