"""The currencies ledgerfmt knows: symbol and number of minor-unit digits (ISO 4217)."""
from dataclasses import dataclass


class UnknownCurrency(KeyError):
    """Raised for a currency code that is not in CURRENCIES."""


@dataclass(frozen=True)
class Currency:
    code: str
    symbol: str
    digits: int


CURRENCIES = {
    currency.code: currency
    for currency in (
        Currency("USD", "$", 2),
        Currency("EUR", "€", 2),
        Currency("GBP", "£", 2),
        Currency("JPY", "¥", 0),
        Currency("KWD", "KD ", 3),
    )
}


def currency_for(code: str) -> Currency:
    try:
        return CURRENCIES[code.upper()]
    except KeyError:
        raise UnknownCurrency(f"unknown currency {code!r}") from None
