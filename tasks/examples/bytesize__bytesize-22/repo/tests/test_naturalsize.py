import pytest

from bytesize import naturalsize


def test_bytes_are_whole_numbers():
    assert naturalsize(0) == "0 B"
    assert naturalsize(1023) == "1023 B"


def test_exact_kibibyte():
    assert naturalsize(1024) == "1.0 KiB"


def test_fractional_kibibytes():
    assert naturalsize(1536) == "1.5 KiB"


def test_decimal_units():
    assert naturalsize(1_500_000, binary=False) == "1.5 MB"
    assert naturalsize(999, binary=False) == "999 B"


def test_precision():
    assert naturalsize(123456789, precision=2) == "117.74 MiB"
    assert naturalsize(1536, precision=0) == "2 KiB"


def test_negative_sizes():
    assert naturalsize(-2048) == "-2.0 KiB"


def test_largest_unit_keeps_growing():
    assert naturalsize(2 ** 70) == "1024.0 EiB"


def test_negative_precision_is_refused():
    with pytest.raises(ValueError):
        naturalsize(10, precision=-1)
