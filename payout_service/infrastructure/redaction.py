"""What a secret looks like in text, so that none reaches a log line, an error or a repr.

`scrubbed(text)` replaces with "[redacted]": the value of any Authorization header however it is
written (`Authorization: Basic ...` in a raw request aiohttp's parser could not read, a headers
dict or tuple, `authorization=...`), whatever its scheme and shape; any Bearer token; any of the
service's API keys (psk_...); and a password in a URL (mysql://user:secret@host).
"""

from __future__ import annotations

import re

REDACTED = "[redacted]"
# The header's name and the separator as a raw request, a dict, a tuple or a keyword writes it;
# then the value: to its closing quote when it is quoted, else to the end of its line (a real
# line break, or an escaped one in a bytes repr: \r, \n).
_AUTHORIZATION = re.compile(
    r"""(authorization['"]?\s*[:=,]\s*)(?:'[^'\r\n]*'?|"[^"\r\n]*"?|(?:(?!\\[rn])[^\r\n])+)""",
    re.IGNORECASE,
)
_BEARER = re.compile(r"\b(bearer\s+)[A-Za-z0-9._~+/=\-]+", re.IGNORECASE)
_API_KEY = re.compile(r"\bpsk_[A-Za-z0-9_\-]+")
_URL_PASSWORD = re.compile(r"(://[^:/@\s]*):[^@\s/]+@")


def scrubbed(text: str) -> str:
    text = _AUTHORIZATION.sub(rf"\1{REDACTED}", text)
    text = _BEARER.sub(rf"\1{REDACTED}", text)
    return without_password(_API_KEY.sub(REDACTED, text))


def without_password(text: str) -> str:
    return _URL_PASSWORD.sub(rf"\1:{REDACTED}@", text)
