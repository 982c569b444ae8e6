import pytest

from bytesize import naturalsize, parse_size


def test_parse_binary_units():
    assert parse_size("1.5 GiB") == 1610612736


def test_parse_decimal_units_without_space():
    assert parse_size("20MB") == 20_000_000


def test_parse_plain_bytes():
    assert parse_size("512") == 512
    assert parse_size("512 B") == 512


def test_parse_is_case_insensitive():
    assert parse_size("4 kib") == 4096


def test_parse_rejects_unknown_units():
    with pytest.raises(ValueError, match="unknown unit"):
        parse_size("3 parsecs")


def test_parse_reads_what_naturalsize_writes():
    assert parse_size(naturalsize(3 * 1024 ** 3)) == 3 * 1024 ** 3
