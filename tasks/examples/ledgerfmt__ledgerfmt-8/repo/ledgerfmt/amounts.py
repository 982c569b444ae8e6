"""Parse, format and split amounts held as integers of minor units."""
from decimal import Decimal, InvalidOperation
from typing import List

from .currency import currency_for


def format_amount(minor: int, code: str = "USD") -> str:
    """``format_amount(123450, "USD")`` → ``'$1,234.50'``."""
    currency = currency_for(code)
    if currency.digits == 0:
        return f"{currency.symbol}{minor:,}"
    major, fraction = divmod(minor, 10 ** currency.digits)
    return f"{currency.symbol}{major:,}.{fraction:0{currency.digits}d}"


def parse_amount(text: str, code: str = "USD") -> int:
    """``parse_amount("1,234.50", "USD")`` → ``123450``; refuses more decimals than the currency has."""
    currency = currency_for(code)
    cleaned = text.strip().replace(currency.symbol.strip(), "", 1).replace(",", "").strip()
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(f"{text!r} is not an amount") from None
    minor = value.scaleb(currency.digits)
    if minor != minor.to_integral_value():
        raise ValueError(f"{text!r} has more than {currency.digits} decimal places for {currency.code}")
    return int(minor)


def allocate(minor: int, parts: int) -> List[int]:
    """Split an amount into ``parts`` shares that differ by at most one unit and sum to the amount."""
    if parts < 1:
        raise ValueError(f"parts must be at least 1, got {parts}")
    share, remainder = divmod(minor, parts)
    return [share + 1 if index < remainder else share for index in range(parts)]
