"""Parse the text of a .env file into an ordered dict of variables."""
import re
from typing import Dict

_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_INLINE_COMMENT = re.compile(r"\s+#.*$")
_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}


class EnvSyntaxError(ValueError):
    def __init__(self, line_number: int, message: str):
        super().__init__(f"line {line_number}: {message}")
        self.line_number = line_number


def _unescape(text: str) -> str:
    return re.sub(r'\\(.)', lambda match: _ESCAPES.get(match[1], match[0]), text)


def _parse_value(raw: str, line_number: int) -> str:
    value = _INLINE_COMMENT.sub("", raw).strip()
    if value[:1] in ("'", '"'):
        quote = value[0]
        if len(value) < 2 or not value.endswith(quote):
            raise EnvSyntaxError(line_number, f"unterminated {quote} quote")
        inner = value[1:-1]
        return _unescape(inner) if quote == '"' else inner
    return value


def parse(text: str) -> Dict[str, str]:
    variables: Dict[str, str] = {}
    for line_number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("export "):
            stripped = stripped[len("export "):].lstrip()
        key, separator, raw_value = stripped.partition("=")
        key = key.strip()
        if not separator:
            raise EnvSyntaxError(line_number, f"expected KEY=VALUE, got {stripped!r}")
        if not _KEY.match(key):
            raise EnvSyntaxError(line_number, f"invalid variable name {key!r}")
        variables[key] = _parse_value(raw_value, line_number)
    return variables
