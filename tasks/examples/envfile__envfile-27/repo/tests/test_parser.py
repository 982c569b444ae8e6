import pytest

from envfile import EnvSyntaxError, parse


def test_plain_assignments():
    assert parse("A=1\nB=two\n") == {"A": "1", "B": "two"}


def test_blank_lines_and_comment_lines_are_skipped():
    assert parse("\n# a comment\n   # indented comment\nA=1\n") == {"A": "1"}


def test_export_prefix():
    assert parse("export TOKEN=abc") == {"TOKEN": "abc"}


def test_inline_comment_after_unquoted_value():
    assert parse("PORT=5432   # default port") == {"PORT": "5432"}


def test_comment_after_quoted_value():
    assert parse('NAME="Ada Lovelace"   # full name') == {"NAME": "Ada Lovelace"}


def test_hash_without_space_is_part_of_the_value():
    assert parse("URL=https://example.com/#/v1") == {"URL": "https://example.com/#/v1"}


def test_double_quoted_value_keeps_spaces_and_escapes():
    assert parse('GREETING="  Hello,\\tworld\\n"') == {"GREETING": "  Hello,\tworld\n"}


def test_single_quoted_value_is_literal():
    assert parse("PATTERN='a\\nb'") == {"PATTERN": "a\\nb"}


def test_empty_value():
    assert parse("EMPTY=\nQUOTED=''") == {"EMPTY": "", "QUOTED": ""}


def test_unterminated_quote_names_the_line():
    with pytest.raises(EnvSyntaxError, match="line 2"):
        parse('A=1\nB="open')


def test_invalid_names_are_refused():
    with pytest.raises(EnvSyntaxError, match="invalid variable name"):
        parse("1ABC=x")
