"""Parse RFC 3339 timestamps such as ``2024-03-10T12:00:00.250-03:30``."""
import re
from datetime import datetime, timedelta, timezone

_TIMESTAMP = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})[Tt ](?P<time>\d{2}:\d{2}:\d{2})(?P<fraction>\.\d{1,6})?"
    r"(?P<offset>[Zz]|[+-]\d{2}:\d{2})$"
)


class TimestampError(ValueError):
    """Raised for text that is not an RFC 3339 timestamp with an offset."""


def _parse_offset(text: str) -> timezone:
    if text in ("Z", "z"):
        return timezone.utc
    sign = -1 if text[0] == "-" else 1
    hours, minutes = int(text[1:3]), int(text[4:6])
    if hours > 23 or minutes > 59:
        raise TimestampError(f"offset {text!r} is out of range")
    return timezone(timedelta(hours=sign * hours, minutes=minutes))


def parse_timestamp(text: str) -> datetime:
    match = _TIMESTAMP.match(text.strip())
    if not match:
        raise TimestampError(f"{text!r} is not an RFC 3339 timestamp with an offset")
    fraction = (match["fraction"] or ".0")[1:].ljust(6, "0")
    try:
        moment = datetime.fromisoformat(f"{match['date']}T{match['time']}")
    except ValueError as error:
        raise TimestampError(f"{text!r}: {error}") from None
    return moment.replace(microsecond=int(fraction), tzinfo=_parse_offset(match["offset"]))


def to_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise TimestampError("naive datetimes have no offset to convert from")
    return moment.astimezone(timezone.utc)
