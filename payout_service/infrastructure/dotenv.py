"""Reading a `.env` file: the KEY=VALUE lines honcho and docker-compose read too.

One variable a line, `KEY=VALUE` or `export KEY=VALUE`; blank lines and lines starting with `#`
are skipped. A value may be quoted: '...' is taken as written, "..." understands \\n, \\t, \\"
and \\\\. An unquoted value ends at ` #` (a comment) and loses its surrounding blanks.

A line that is none of these is an error naming the file and the line number, never its text:
the line may hold a secret.
"""

from __future__ import annotations

import re
from pathlib import Path

_ASSIGNMENT = re.compile(r"\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*")
_DOUBLE_QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"\s*(?:#.*)?')
_SINGLE_QUOTED = re.compile(r"'([^']*)'\s*(?:#.*)?")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}


class DotenvError(ValueError):
    """A line of the file is not KEY=VALUE."""


def read_dotenv(path: Path) -> dict[str, str]:
    """The file's variables, later lines winning; {} when there is no such file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    return parse_dotenv(text, str(path))


def parse_dotenv(text: str, source: str = ".env") -> dict[str, str]:
    variables: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _ASSIGNMENT.fullmatch(line)
        value = _value(match[2]) if match else None
        if match is None or value is None:
            raise DotenvError(f"{source} line {number} is not KEY=VALUE")
        variables[match[1]] = value
    return variables


def _value(raw: str) -> str | None:
    """The value as written after `=`; None when a quote is left open."""
    if raw.startswith('"'):
        quoted = _DOUBLE_QUOTED.fullmatch(raw)
        if quoted is None:
            return None
        return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m[1], "\\" + m[1]), quoted[1])
    if raw.startswith("'"):
        quoted = _SINGLE_QUOTED.fullmatch(raw)
        return None if quoted is None else quoted[1]
    return re.split(r"\s+#", raw, maxsplit=1)[0].strip()
