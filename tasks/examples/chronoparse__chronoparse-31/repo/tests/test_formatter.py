from datetime import datetime, timedelta, timezone

import pytest

from chronoparse import format_timestamp, parse_timestamp


def test_format_utc_as_z():
    assert format_timestamp(datetime(2024, 3, 10, 12, 0, tzinfo=timezone.utc)) == "2024-03-10T12:00:00Z"


def test_format_positive_half_hour_offset():
    india = timezone(timedelta(hours=5, minutes=30))
    assert format_timestamp(datetime(2024, 3, 10, 12, 0, tzinfo=india)) == "2024-03-10T12:00:00+05:30"


def test_format_negative_whole_hour_offset():
    pacific = timezone(timedelta(hours=-8))
    assert format_timestamp(datetime(2024, 1, 5, 9, 30, tzinfo=pacific)) == "2024-01-05T09:30:00-08:00"


def test_format_trims_fraction_zeros():
    moment = datetime(2024, 3, 10, 12, 0, 0, 250000, tzinfo=timezone.utc)
    assert format_timestamp(moment) == "2024-03-10T12:00:00.25Z"


def test_format_rejects_naive_datetimes():
    with pytest.raises(ValueError):
        format_timestamp(datetime(2024, 3, 10, 12, 0))


@pytest.mark.parametrize(
    "text",
    ["2024-03-10T12:00:00Z", "2024-03-10T21:15:00+09:00", "2024-07-01T08:00:00-03:30", "2024-11-02T23:59:59.5-09:30"],
    ids=["utc", "tokyo", "st-johns", "marquesas"],
)
def test_roundtrip(text):
    assert format_timestamp(parse_timestamp(text)) == text
