from .units import BINARY_UNITS, DECIMAL_UNITS
from .humanize import naturalsize
from .parse import parse_size

__all__ = ["BINARY_UNITS", "DECIMAL_UNITS", "naturalsize", "parse_size"]
__version__ = "2.0.1"
