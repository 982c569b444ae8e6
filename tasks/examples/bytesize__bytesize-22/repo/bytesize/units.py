"""Unit names, smallest first; each is 1024 (binary) or 1000 (decimal) times the one before."""

BINARY_UNITS = ("B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB")
DECIMAL_UNITS = ("B", "kB", "MB", "GB", "TB", "PB", "EB")


def units_and_base(binary: bool):
    return (BINARY_UNITS, 1024) if binary else (DECIMAL_UNITS, 1000)
