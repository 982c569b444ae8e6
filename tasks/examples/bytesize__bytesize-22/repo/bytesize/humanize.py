"""Turn a number of bytes into text such as ``'1.5 KiB'``."""
from .units import units_and_base


def naturalsize(size: int, binary: bool = True, precision: int = 1) -> str:
    """Format ``size`` bytes with the largest unit that keeps the number below the unit base."""
    if precision < 0:
        raise ValueError(f"precision must not be negative, got {precision}")
    if size < 0:
        return "-" + naturalsize(-size, binary, precision)
    units, base = units_and_base(binary)
    if size < base:
        return f"{size} B"
    value = float(size)
    for unit in units[1:]:
        value /= base
        if value < base or unit == units[-1]:
            return f"{value:.{precision}f} {unit}"
    raise AssertionError("unreachable: the last unit always returns")
