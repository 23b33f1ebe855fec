"""Markdown for unvetted values (reconciler.decide.markdown): a table of cases per form."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.decide import markdown
from reconciler.decide.markdown import LIMIT, clean, code, text

TEXT_CASES = [
    ("plain", "edge-1", "edge-1"),
    ("pipe", "port | in use", "port \\| in use"),
    ("backslash before a pipe", "a\\|b", "a\\\\\\|b"),
    ("newlines", "one\ntwo\r\nthree", "one two three"),
    ("tab and runs of spaces", "a\t \t b", "a b"),
    ("edge white space", "  padded  ", "padded"),
    ("heading", "# Owned", "\\# Owned"),
    ("deeper heading", "### x", "\\### x"),
    ("blockquote", "> quoted", "&gt; quoted"),
    ("list item", "- item", "\\- item"),
    ("plus list item", "+ item", "\\+ item"),
    ("ordered list item", "12. item", "12\\. item"),
    ("ordered list with paren", "3) item", "3\\) item"),
    ("setext underline", "===", "\\==="),
    ("a number alone", "12", "12"),
    ("html", "<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
    ("an entity stays visible", "&lt;", "&amp;lt;"),
    ("backticks", "a `b` c", "a \\`b\\` c"),
    ("emphasis", "**no**", "\\*\\*no\\*\\*"),
    ("underscores", "_x_", "\\_x\\_"),
    ("strikethrough", "~~edge-1~~", "\\~\\~edge-1\\~\\~"),
    ("link", "[click](https://example.invalid)", "\\[click\\](https://example.invalid)"),
    ("image", "![x](y)", "!\\[x\\](y)"),
    ("unicode kept", "café → 東京 ✓", "café → 東京 ✓"),
    ("bidi override dropped", "abc\u202edef", "abcdef"),
    ("zero width dropped", "a\u200bb", "ab"),
    ("line separator", "a\u2028b", "a b"),
    ("nul and escape", "a\x00b\x1b[31m", "a b \\[31m"),
    ("lone surrogate dropped", "a\ud800b", "ab"),
    ("empty", "", ""),
    ("only controls", "\n\r\t", ""),
]


@pytest.mark.parametrize(
    ("value", "expected"), [case[1:] for case in TEXT_CASES], ids=[c[0] for c in TEXT_CASES]
)
def test_text(value: str, expected: str) -> None:
    """Inline text keeps its line and cell and shows the value as written."""
    assert text(value) == expected


CODE_CASES = [
    ("plain", "c0ffeec0ffee", False, "`c0ffeec0ffee`"),
    ("html is literal in code", "<b>", False, "`<b>`"),
    ("a backtick inside", "a`b", False, "``a`b``"),
    ("a run of backticks", "a``b`c", False, "```a``b`c```"),
    ("a leading backtick", "`a", False, "`` `a ``"),
    ("a trailing backtick", "a`", False, "`` a` ``"),
    ("a pipe outside a table", "a|b", False, "`a|b`"),
    ("a pipe in a table cell", "a|b", True, "`a\\|b`"),
    ("newlines", "a\nb", True, "`a b`"),
    ("empty", "", False, "—"),
]


@pytest.mark.parametrize(
    ("value", "cell", "expected"), [case[1:] for case in CODE_CASES], ids=[c[0] for c in CODE_CASES]
)
def test_code(value: str, cell: bool, expected: str) -> None:
    """A code span is fenced longer than any backtick run inside and splits no table cell."""
    assert code(value, cell=cell) == expected


def test_a_long_value_is_cut_with_an_ellipsis() -> None:
    """Past `LIMIT` characters a value ends in `…`, and is `LIMIT` characters long."""
    cut = clean("x" * (LIMIT + 50))
    assert len(cut) == LIMIT
    assert cut.endswith("…")


def test_a_value_at_the_limit_is_kept_whole() -> None:
    """A value of exactly `LIMIT` characters is not cut."""
    assert clean("y" * LIMIT) == "y" * LIMIT


def test_escapes_do_not_count_towards_the_limit() -> None:
    """The limit counts what a reader sees, so escaping never cuts a value in half."""
    escaped = text("|" * LIMIT)
    assert escaped == "\\|" * LIMIT


@settings(max_examples=400)
@given(
    st.text(
        alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E)
        | st.characters(codec="utf-8")
        | st.sampled_from("  \t\n-#1.")
    )
)
def test_the_shortcut_for_plain_values_says_what_the_long_way_says(value: str) -> None:
    """A plain ASCII value is returned as it is only where escaping it would change nothing."""
    assert markdown.text(value) == markdown._escaped_text(value, markdown.LIMIT)
    assert markdown.clean(value) == markdown._cleaned(value, markdown.LIMIT)
    assert markdown.text(value, 5) == markdown._escaped_text(value, 5)
