import pytest

from conftest import insert, names


@pytest.fixture(scope="module")
def module_config():
    # A module fixture that never connects: the module's tests start from
    # the setup all the same.
    return {"limit": 3}


def test_other_module_sees_only_the_session(session_row, module_config):
    assert names() == ["session"]
    insert("test")


def test_other_module_again(session_row, module_config):
    assert names() == ["session"]
