"""dbclone's pytest plugin: per-test clones with no change to the suite.

`dbclone run` names this module in PYTEST_PLUGINS and puts its folder on
PYTHONPATH, so any pytest under the run loads it; `-p no:dbclone` or
`dbclone run --no-harness` leaves it out, and outside a run it does
nothing. It sets the library's two variables, read at every connect,
before each fixture is set up and before each test runs:

- session-scoped fixtures write the setup (no DBCLONE_TEST: the run's
  epoch; under pytest-xdist, a key of the worker's own, so that two
  workers' session fixtures never write one clone);
- package-, module- and class-scoped fixtures write a layer, a key of
  their node's own, on top of the layer above it (DBCLONE_BASE);
- function-scoped fixtures and the test write the test's own key
  (DBCLONE_TEST=<nodeid>), on top of the innermost layer that has state.

The key follows the fixture being set up, not pytest's phase: session
fixtures are set up inside the first test's setup phase. At every change
of key the connections that would carry the old key's clone into the new
one are closed where the framework is known (Django's, SQLAlchemy's
pools), except inside a django.test.TestCase class, whose class-level
transaction must stay open: such a class is one layer, its tests isolated
by Django's own savepoints.
"""

import os
import socket
import sys
import weakref

import pytest

# backends/wire.h's WIRE_VERSION: the hello says it, and a run of another
# version refuses this plugin in words (tests/62-pytest.bats checks both
# agree).
WIRE_VERSION = 4


def pytest_addoption(parser):
    group = parser.getgroup("dbclone", "dbclone (active under dbclone run)")
    group.addoption(
        "--dbclone-server", action="store_true", default=None,
        help="a server under test started once per session follows the "
             "tests: the run's epoch moves per test (dbclone next), from a "
             "snapshot of the session's setup")
    parser.addini("dbclone_server", type="bool", default=False,
                  help="as --dbclone-server")


def pytest_configure(config):
    if not os.environ.get("DBCLONE_SOCKET"):
        return  # pytest outside dbclone run: nothing to do
    config.pluginmanager.register(Boundaries(config), "dbclone-boundaries")


def _escape(field):
    return (field.replace("%", "%25").replace("\t", "%09")
            .replace("\n", "%0A"))


class RunError(Exception):
    pass


class Run:
    """A connection of its own to the run supervisor (DBCLONE_SOCKET)."""

    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            self.sock.connect(path)
        except OSError as e:
            raise RunError("dbclone: no run listens on %s (%s): the run is "
                           "over; start pytest under dbclone run" % (path, e))
        self.buf = b""
        reply = self.ask("hello", str(os.getpid()), str(WIRE_VERSION))
        if reply != ["ok", str(WIRE_VERSION)]:
            raise RunError(
                reply[1] if reply[0] == "err" and len(reply) > 1 else
                "dbclone: the run at %s speaks another protocol than this "
                "plugin (%d): use the plugin of the same build as the dbclone "
                "command" % (path, WIRE_VERSION))

    def ask(self, *fields):
        self.sock.sendall(("\t".join(_escape(f) for f in fields) + "\n")
                          .encode())
        while b"\n" not in self.buf:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise RunError("dbclone: the run at %s closed its socket"
                               % self.path)
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        reply = [f.replace("%09", "\t").replace("%0A", "\n")
                 .replace("%25", "%") for f in line.decode().split("\t")]
        return reply

    def must(self, *fields):
        reply = self.ask(*fields)
        if reply[0] != "ok":
            raise RunError(reply[1] if len(reply) > 1 else
                           "dbclone: the run refused %s" % fields[0])
        return reply


def _django_testcase(cls):
    """Is cls a django.test.TestCase, whose class-level transaction must
    stay open across its tests?"""
    if cls is None or "django.test" not in sys.modules:
        return False
    return issubclass(cls, sys.modules["django.test"].TestCase)


class Pools:
    """The connections of known frameworks that outlive a key."""

    def __init__(self):
        self.engines = weakref.WeakSet()
        self.watching = False

    def _watch_sqlalchemy(self):
        if self.watching or "sqlalchemy" not in sys.modules:
            return
        from sqlalchemy import event
        from sqlalchemy.engine import Engine

        def connected(conn, *args):
            self.engines.add(conn.engine)

        event.listen(Engine, "engine_connect", connected)
        self.watching = True

    def close(self):
        if "django.db" in sys.modules:
            from django.conf import settings
            if settings.configured:
                sys.modules["django.db"].connections.close_all()
        self._watch_sqlalchemy()
        for engine in list(self.engines):
            engine.dispose()


class Boundaries:
    """The keys of one pytest process (a worker's, under xdist)."""

    def __init__(self, config):
        self.config = config
        worker = getattr(config, "workerinput", {}).get("workerid")
        shared = os.environ.get("DBCLONE_PER_PROCESS") != "1"
        # A worker's keys are its own. In a shared run its setup is a key
        # too (the run's epoch is every worker's); per process, each
        # process has an epoch of its own already.
        self.prefix = worker + "::" if worker else ""
        self.session_key = worker + "::(session)" if worker and shared else None
        self.check_bases = self.session_key is not None
        self.server = bool(config.getoption("dbclone_server") or
                           config.getini("dbclone_server"))
        self.layers = set()     # nodeids of scopes that set up a fixture
        self.with_state = set() # their keys known to have a clone
        self.current = object()
        self.pools = Pools()
        self.run = None
        self.started = None     # the item whose test key was entered
        self.setup_changed = True
        self.kept = set()
        if self.server and not shared:
            raise pytest.UsageError(
                "dbclone: --dbclone-server moves a shared run's epoch; a "
                "--per-process run has none: leave out --per-process")

    def _run(self):
        if self.run is None:
            self.run = Run(os.environ["DBCLONE_SOCKET"])
        return self.run

    # -- keys ------------------------------------------------------------

    def _enter(self, test, base):
        if (test, base) == self.current:
            return
        self.pools.close()
        for var, value in (("DBCLONE_TEST", test), ("DBCLONE_BASE", base)):
            if value is None:
                os.environ.pop(var, None)
            else:
                os.environ[var] = value
        self.current = (test, base)

    def _has_state(self, key):
        """May key be named as a base? Under xdist a base with no clone
        would fall back to the run's epoch, not to the worker's setup."""
        if not self.check_bases or key in self.with_state:
            return True
        if self._run().must("known", key)[1] == "1":
            self.with_state.add(key)
            return True
        return False

    def _base_above(self, node):
        """The innermost layer above node with state, else the setup."""
        for parent in reversed(node.listchain()[:-1]):
            key = self.prefix + parent.nodeid
            if parent.nodeid in self.layers and self._has_state(key):
                return key
        return self.session_key

    def _layer(self, node):
        """Where a fixture of node's scope, and node's tests, write."""
        if isinstance(node, pytest.Item):
            cls = getattr(node, "cls", None)
            if _django_testcase(cls):
                return self._layer(node.parent)
            self._start_test(node)
            return self.prefix + node.nodeid, self._base_above(node)
        if isinstance(node, pytest.Session):
            return self.session_key, None
        self.layers.add(node.nodeid)
        return self.prefix + node.nodeid, self._base_above(node)

    def _test_key(self, item):
        """The key item's test writes: its own, or its Django TestCase
        class's."""
        cls = getattr(item, "cls", None)
        node = item.parent if _django_testcase(cls) else item
        return self.prefix + node.nodeid

    def _start_test(self, item):
        """A server under test follows: a new epoch, from the snapshot of
        the setup the session fixtures wrote."""
        if not self.server or self.started is item:
            return
        self.started = item
        self.pools.close()
        if self.setup_changed:
            self._run().must("snapshot")
            self.setup_changed = False
        self._run().must("next")

    # -- hooks -----------------------------------------------------------

    @pytest.hookimpl(hookwrapper=True)
    def pytest_fixture_setup(self, fixturedef, request):
        if fixturedef.scope == "session":
            self.setup_changed = True
            keys = (self.session_key, None)
        else:
            keys = self._layer(request.node)
        self._enter(*keys)
        yield
        if fixturedef.scope != "function":
            # Finalizers run last first: this one, added after the
            # fixture's own, runs before them, so that a layer's teardown
            # writes its layer, not the last test's clone.
            fixturedef.addfinalizer(lambda: self._enter(*keys))

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_call(self, item):
        self._enter(*self._layer(item))
        yield

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        report = outcome.get_result()
        if (report.failed and not hasattr(report, "wasxfail") and
                item.nodeid not in self.kept):
            # Under dbclone run --keep=failed the supervisor keeps the
            # test's clones and prints how to reach them; otherwise it
            # ignores this.
            self.kept.add(item.nodeid)
            self._run().must("keep", self._test_key(item))

    def pytest_unconfigure(self, config):
        self._enter(None, None)
        if self.run is not None:
            self.run.sock.close()
