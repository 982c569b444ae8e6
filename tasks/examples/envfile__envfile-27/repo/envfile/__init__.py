from .parser import EnvSyntaxError, parse
from .loader import load

__all__ = ["EnvSyntaxError", "load", "parse"]
__version__ = "0.8.0"
