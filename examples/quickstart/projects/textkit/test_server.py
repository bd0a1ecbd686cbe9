"""Unit tests for the textkit tools: `python -m pytest` in this directory (needs `mcp`)."""

import pytest

from server import days_between, slugify, word_count


def test_word_count_counts_characters_words_and_lines():
    stats = word_count("hello  world\nsecond line")
    assert (stats.characters, stats.words, stats.lines) == (24, 4, 2)


def test_word_count_of_empty_text_is_zero():
    stats = word_count("")
    assert (stats.characters, stats.words, stats.lines) == (0, 0, 0)


def test_slugify_folds_accents_and_punctuation():
    assert slugify("Crème brûlée: the  RECIPE!") == "creme-brulee-the-recipe"


def test_slugify_uses_separator_and_cuts_without_trailing_separator():
    assert slugify("one two three", separator="_", max_length=8) == "one_two"


def test_slugify_rejects_non_positive_length():
    with pytest.raises(ValueError):
        slugify("x", max_length=0)


def test_days_between_counts_forward_and_backward():
    assert days_between("2024-02-28", "2024-03-01") == 2
    assert days_between("2024-03-01", "2024-02-28") == -2


def test_days_between_rejects_non_iso_dates():
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        days_between("01/02/2024", "2024-02-03")


def test_server_answers_over_stdio():
    """Start server.py as a subprocess and drive it with the SDK's own stdio client."""
    import sys
    from pathlib import Path

    import anyio
    from mcp import ClientSession, StdioServerParameters
    from mcp.client.stdio import stdio_client

    params = StdioServerParameters(
        command=sys.executable,
        args=[str(Path(__file__).with_name("server.py"))],
        env={"LOG_LEVEL": "warning", "PYTHONDONTWRITEBYTECODE": "1"},
    )

    async def session_roundtrip():
        async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
            init = await session.initialize()
            tools = await session.list_tools()
            call = await session.call_tool("days_between", {"start": "2024-01-01", "end": "2024-12-25"})
            return init, tools, call

    init, tools, call = anyio.run(session_roundtrip)
    assert init.serverInfo.name == "textkit"
    assert {t.name for t in tools.tools} == {"word_count", "slugify", "days_between"}
    assert not call.isError
    assert call.structuredContent == {"result": 359}
