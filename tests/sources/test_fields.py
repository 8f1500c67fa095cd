"""The typed field access every strict reader of netfence's own formats shares (address plan,
Private Link settings and catalog, endpoint catalog): one wording for each refusal."""

from __future__ import annotations

import enum

import pytest

from netfence.errors import InputError
from netfence.sources.fields import Field
from netfence.sources.yamldocs import parse_documents


class Colour(enum.StrEnum):
    RED = "red"
    BLUE = "blue"


def root(text: str) -> Field:
    (document,) = parse_documents(text, "t.yaml")
    return Field.root(document)


def test_refuse_unknown_suggests_the_close_key_and_names_its_line():
    """A misspelt key is named with its line and the key it was likely meant to be."""
    with pytest.raises(InputError) as error:
        root("name: a\nclustres: []\n").refuse_unknown({"name", "clusters"})
    assert "line 2" in str(error.value) and "did you mean 'clusters'?" in str(error.value)
    with pytest.raises(InputError, match="expected one of: clusters, name"):
        root("zzz: 1\n").refuse_unknown({"name", "clusters"})


def test_choice_lists_the_members_and_text_refuses_blank():
    """A closed set names its members; a required text that is only spaces is refused."""
    assert root("c: blue\n").require("c").choice(Colour) is Colour.BLUE
    with pytest.raises(InputError, match="unknown value 'green' \\(expected one of: red, blue\\)"):
        root("c: green\n").require("c").choice(Colour)
    assert root("t: ' x '\n").require("t").text() == "x"
    with pytest.raises(InputError, match="must not be empty"):
        root("t: '  '\n").require("t").text()


def test_a_long_string_of_the_wrong_type_is_quoted_only_in_part():
    """A file of another kind read as one scalar is not echoed back whole in the error."""
    with pytest.raises(InputError) as error:
        root("x" * 500 + "\n").mapping()
    assert "expected a mapping" in str(error.value) and len(str(error.value)) < 200
