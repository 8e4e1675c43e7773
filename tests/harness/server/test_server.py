"""Each test writes through the server and assumes only the session's row."""
import pytest


@pytest.mark.parametrize("n", range(3))
def test_through_the_server(server, n):
    assert server("test-%d" % n) == 2
