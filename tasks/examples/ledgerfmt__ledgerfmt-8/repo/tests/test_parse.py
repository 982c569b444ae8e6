import pytest

from ledgerfmt import allocate, parse_amount


def test_parse_plain_amount():
    assert parse_amount("19.99") == 1999


def test_parse_does_not_lose_cents_to_floats():
    assert parse_amount("0.29") == 29
    assert parse_amount("1.005", "KWD") == 1005


def test_parse_symbol_and_separators():
    assert parse_amount("$1,234.50", "USD") == 123450


def test_parse_negative_amount():
    assert parse_amount("-12.30") == -1230


def test_parse_refuses_extra_decimals():
    with pytest.raises(ValueError, match="decimal places"):
        parse_amount("1.999", "USD")


def test_allocate_spreads_the_remainder():
    assert allocate(1000, 3) == [334, 333, 333]
    assert sum(allocate(1001, 7)) == 1001
