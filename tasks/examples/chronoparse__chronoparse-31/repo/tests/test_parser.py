from datetime import datetime, timedelta, timezone

import pytest

from chronoparse import TimestampError, parse_timestamp, to_utc


def test_parse_utc_designator():
    moment = parse_timestamp("2024-03-10T12:00:00Z")
    assert moment == datetime(2024, 3, 10, 12, 0, tzinfo=timezone.utc)


def test_parse_positive_half_hour_offset():
    moment = parse_timestamp("2024-03-10T12:00:00+05:30")
    assert moment.utcoffset() == timedelta(hours=5, minutes=30)
    assert to_utc(moment) == datetime(2024, 3, 10, 6, 30, tzinfo=timezone.utc)


def test_parse_negative_whole_hour_offset():
    moment = parse_timestamp("2024-03-10T12:00:00-05:00")
    assert to_utc(moment) == datetime(2024, 3, 10, 17, 0, tzinfo=timezone.utc)


def test_parse_fraction_of_a_second():
    assert parse_timestamp("2024-03-10T12:00:00.25Z").microsecond == 250000


@pytest.mark.parametrize("text", ["2024-03-10T12:00:00", "2024-03-10", "2024-13-10T12:00:00Z", "2024-03-10T12:00:00+24:00"])
def test_parse_rejects_invalid_text(text):
    with pytest.raises(TimestampError):
        parse_timestamp(text)


def test_to_utc_rejects_naive_datetimes():
    with pytest.raises(TimestampError):
        to_utc(datetime(2024, 3, 10, 12, 0))
