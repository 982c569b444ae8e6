"""Write timezone-aware datetimes back out as RFC 3339 text."""
from datetime import datetime, timedelta


def _format_offset(offset: timedelta) -> str:
    total_minutes = int(offset.total_seconds()) // 60
    if total_minutes == 0:
        return "Z"
    sign = "-" if total_minutes < 0 else "+"
    hours, minutes = divmod(total_minutes, 60)
    return f"{sign}{abs(hours):02d}:{minutes:02d}"


def format_timestamp(moment: datetime) -> str:
    offset = moment.utcoffset()
    if offset is None:
        raise ValueError("cannot format a naive datetime: it has no offset")
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if moment.microsecond:
        text += f".{moment.microsecond:06d}".rstrip("0")
    return text + _format_offset(offset)
