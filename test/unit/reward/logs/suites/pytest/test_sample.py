import pytest


def test_passes():
    assert 1 + 1 == 2


def test_fails():
    assert [1, 2] == [1, 3]


@pytest.mark.skip(reason="not on this platform")
def test_skipped():
    pass


@pytest.mark.xfail(reason="known bug")
def test_expected_failure():
    assert False


@pytest.mark.parametrize("value, expected", [(1, 2), (2, 3), ("a b", "a b1")])
def test_increment(value, expected):
    if isinstance(value, str):
        assert value + "1" == expected
    else:
        assert value + 1 == expected


@pytest.fixture
def broken_fixture():
    raise RuntimeError("fixture setup failed")


def test_fixture_error(broken_fixture):
    pass


class TestGroup:
    def test_method_passes(self):
        assert "abc".upper() == "ABC"

    @pytest.mark.parametrize("n", [0, -1])
    def test_method_parametrized(self, n):
        assert n >= 0
