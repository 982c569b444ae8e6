from .currency import CURRENCIES, Currency, UnknownCurrency
from .amounts import allocate, format_amount, parse_amount

__all__ = ["CURRENCIES", "Currency", "UnknownCurrency", "allocate", "format_amount", "parse_amount"]
__version__ = "0.9.2"
