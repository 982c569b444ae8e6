"""Load a .env file into os.environ."""
import os
from typing import Dict

from .parser import parse


def load(path: str = ".env", override: bool = False) -> Dict[str, str]:
    """Parse ``path`` and set its variables in ``os.environ``; returns what the file holds."""
    with open(path, encoding="utf-8") as file:
        variables = parse(file.read())
    for key, value in variables.items():
        if override or key not in os.environ:
            os.environ[key] = value
    return variables
