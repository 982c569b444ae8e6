"""Read sizes such as ``'1.5 GiB'`` or ``'20MB'`` back into a number of bytes."""
import re

from .units import BINARY_UNITS, DECIMAL_UNITS

_SIZE = re.compile(r"^\s*(?P<number>\d+(?:\.\d+)?)\s*(?P<unit>[A-Za-z]*)\s*$")
_FACTORS = {
    **{unit.lower(): 1024 ** power for power, unit in enumerate(BINARY_UNITS)},
    **{unit.lower(): 1000 ** power for power, unit in enumerate(DECIMAL_UNITS)},
    "": 1,
}


def parse_size(text: str) -> int:
    match = _SIZE.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a size")
    unit = match["unit"].lower()
    if unit not in _FACTORS:
        raise ValueError(f"{text!r}: unknown unit {match['unit']!r}")
    return round(float(match["number"]) * _FACTORS[unit])
