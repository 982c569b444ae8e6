from .formatter import format_timestamp
from .parser import TimestampError, parse_timestamp, to_utc

__all__ = ["TimestampError", "format_timestamp", "parse_timestamp", "to_utc"]
__version__ = "1.2.0"
