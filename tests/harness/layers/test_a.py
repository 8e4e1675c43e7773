import pytest

from conftest import insert, names


@pytest.fixture(scope="module")
def module_row(session_row):
    insert("module-a")
    yield
    # Its teardown runs in its layer, not in the last test's clone.
    assert names() == ["module-a", "session"]


def test_first_sees_the_source():
    # The session fixture is first requested by the next test.
    assert names() == []
    insert("test")


def test_second_requests_the_session_fixture(session_row):
    assert names() == ["session"]
    insert("test")


def test_module_fixture(module_row, function_row):
    assert names() == ["function", "module-a", "session"]
    insert("test")


def test_module_fixture_again(module_row):
    assert names() == ["module-a", "session"]
    insert("test")


class TestClassLayer:
    @pytest.fixture(scope="class")
    def class_row(self, module_row):
        insert("class")

    def test_in_class(self, class_row):
        assert names() == ["class", "module-a", "session"]
        insert("test")

    def test_in_class_again(self, class_row):
        assert names() == ["class", "module-a", "session"]
        insert("test")


def test_after_the_class(module_row):
    assert names() == ["module-a", "session"]
    insert("test")
