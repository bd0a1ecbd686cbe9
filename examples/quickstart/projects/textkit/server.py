"""textkit: a small MCP server with text and date tools.

It needs no network and no writable files, so it runs under Capstan's hardened defaults
(network none, read-only root filesystem). It speaks MCP over stdio: the gateway attaches to
the container's stdin/stdout, so nothing but protocol messages may be printed to stdout
(logs go to stderr).
"""

import logging
import os
import re
import unicodedata
from datetime import date

from mcp.server.fastmcp import FastMCP
from pydantic import BaseModel, Field

logging.basicConfig(
    level=os.environ.get("LOG_LEVEL", "info").upper(),
    format="%(asctime)s %(levelname)s %(name)s: %(message)s",
)
log = logging.getLogger("textkit")

mcp = FastMCP(
    "textkit",
    instructions="Text and date utilities: count words, make URL slugs, count days between dates.",
)


class TextStats(BaseModel):
    """Counts for a piece of text."""

    characters: int = Field(description="Number of characters, including spaces")
    words: int = Field(description="Number of whitespace-separated words")
    lines: int = Field(description="Number of lines (0 for empty text)")


@mcp.tool()
def word_count(text: str) -> TextStats:
    """Count the characters, words and lines of a text."""
    return TextStats(characters=len(text), words=len(text.split()), lines=len(text.splitlines()))


@mcp.tool()
def slugify(text: str, separator: str = "-", max_length: int = 80) -> str:
    """Turn a title into a URL slug: lowercase ASCII letters and digits joined by `separator`.

    Accents are folded ("Crème brûlée" becomes "creme-brulee"); the slug is cut at
    `max_length` characters without leaving a trailing separator.
    """
    if max_length < 1:
        raise ValueError("max_length must be at least 1")
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    return separator.join(words)[:max_length].rstrip(separator)


@mcp.tool()
def days_between(start: str, end: str) -> int:
    """Number of days from `start` to `end`, both ISO dates (YYYY-MM-DD).

    Negative when `end` is before `start`.
    """
    try:
        first, last = date.fromisoformat(start), date.fromisoformat(end)
    except ValueError as error:
        raise ValueError(f"dates must be YYYY-MM-DD: {error}") from None
    return (last - first).days


if __name__ == "__main__":
    log.info("textkit starting on stdio")
    mcp.run()  # stdio transport
