import pytest

from ledgerfmt import UnknownCurrency, format_amount


def test_format_dollars_and_cents():
    assert format_amount(1999, "USD") == "$19.99"


def test_format_pads_cents():
    assert format_amount(105, "EUR") == "€1.05"


def test_format_zero():
    assert format_amount(0, "GBP") == "£0.00"


def test_format_thousands_separators():
    assert format_amount(123456789, "USD") == "$1,234,567.89"


def test_format_currency_without_minor_units():
    assert format_amount(1500, "JPY") == "¥1,500"


def test_format_three_decimal_currency():
    assert format_amount(1234, "KWD") == "KD 1.234"


def test_format_unknown_currency():
    with pytest.raises(UnknownCurrency):
        format_amount(100, "XYZ")
