"""How a setting's text becomes its value, or an error an operator can act on: one line naming
the variable, the value it holds and what it may hold (a URL's password left out)."""

from __future__ import annotations

import re
from pathlib import Path

from payout_service.infrastructure.redaction import without_password

_INTEGER = re.compile(r"[+-]?[0-9]{1,18}")  # ASCII digits only: int() also takes "١٢"
_SWITCH_WORDS = {
    "on": "on",
    "true": "on",
    "yes": "on",
    "1": "on",
    "off": "off",
    "false": "off",
    "no": "off",
    "0": "off",
}
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class SettingsError(ValueError):
    """A variable holds a value the service cannot use. `variable` names it when one does."""

    def __init__(self, message: str, variable: str | None = None) -> None:
        super().__init__(message)
        self.variable = variable

    @classmethod
    def invalid(cls, variable: str, value: str, allowed: str) -> SettingsError:
        return cls(f"{variable} must be {allowed}, not {without_password(value)!r}", variable)


def integer(variable: str, text: str, lowest: int, highest: int | None = None) -> int:
    allowed = (
        f"an integer from {lowest} to {highest}"
        if highest is not None
        else f"an integer, at least {lowest}"
    )
    if not _INTEGER.fullmatch(text.strip()):
        raise SettingsError.invalid(variable, text, "an integer")
    value = int(text)
    if value < lowest or (highest is not None and value > highest):
        raise SettingsError.invalid(variable, text, allowed)
    return value


def switch(variable: str, text: str) -> str:
    """Normalised to on or off from any of on/off, true/false, yes/no, 1/0, in any case."""
    normal = _SWITCH_WORDS.get(text.strip().lower())
    if normal is None:
        raise SettingsError.invalid(variable, text, "on or off (or true/false, yes/no, 1/0)")
    return normal


def log_level(variable: str, text: str) -> str:
    level = text.strip().upper()
    if level not in LOG_LEVELS:
        allowed = f"one of {', '.join(LOG_LEVELS).lower()} (any case)"
        raise SettingsError.invalid(variable, text, allowed)
    return level


def url(variable: str, text: str, schemes: tuple[str, ...]) -> str:
    """Empty (the default) or a URL of one of `schemes`."""
    if text and not text.startswith(tuple(f"{scheme}://" for scheme in schemes)):
        allowed = " or ".join(f"a {scheme}:// URL" for scheme in schemes)
        raise SettingsError.invalid(variable, text, allowed)
    return text


def under_root(path: str, root: Path) -> str:
    """A relative path as a path under `root`; an absolute or empty one unchanged."""
    return str(root / path) if path and not Path(path).is_absolute() else path


def sqlite_url_under_root(database_url: str, root: Path) -> str:
    """sqlite://var/x.sqlite3 (relative) as sqlite:///<root>/var/x.sqlite3; other URLs and
    sqlite://:memory: unchanged."""
    prefix = "sqlite://"
    if not database_url.startswith(prefix):
        return database_url
    path, query = database_url.removeprefix(prefix), ""
    if "?" in path:
        path, query = path.split("?", 1)
        query = "?" + query
    if path in ("", ":memory:"):
        return database_url
    return prefix + under_root(path, root) + query
