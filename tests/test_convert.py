"""A field's cells as typed values (io/convert.py): the shortcuts taken for whole columns give what
converting each cell on its own gives, issues on the same rows."""

from __future__ import annotations

import pytest

from addin.io.cells import CONVERTERS
from addin.io.convert import _convert_cell, convert_column


def one_by_one(name, raw, rules, language="en"):
    """The reference: every cell converted on its own (io/cells.py), its issue on its row."""
    fdef = rules.fields[name]
    out, issues = [], {}
    for k, value in enumerate(raw):
        typed, issue = _convert_cell(value, CONVERTERS[fdef.type], fdef.values, fdef.synonyms, rules.zones,
                                     fdef.label(language), language, name)
        out.append(typed)
        if issue is not None:
            issues[k] = [issue.message]
    return out, issues


@pytest.mark.parametrize("raw", [
    ["A1", "A2", None, "A3"],                       # nothing to trim: the cells as they are
    ["A1", " A2", "A3 ", None],                     # spaces around a value
    ["", "A2", "   ", None],                        # empty and blank cells are None
    ["A1", "A2", ""],                               # an empty last cell
    ["A1\u00a0", "\tA2", "A\u00a03"],               # a no-break space and a tab count as space; inside, not
    ["\u3000订单", "订单 2"],                        # an ideographic space (a Chinese keyboard's)
    [None, None],
    [],
])
def test_a_text_column_is_trimmed_and_blank_cells_are_none(rules, raw):
    issues, bad = {}, {}
    assert convert_column("order_id", list(raw), rules, "en", issues, bad) == \
        [(v.strip() or None) if v is not None else None for v in raw]
    assert issues == {} and bad == {}


@pytest.mark.parametrize("raw", [
    ["merchant", "Customer", "商户", None, "wish"],                 # aliases, case and Chinese
    ["merchant", "the cat", "store", "the cat", None, "buyer"],      # an unknown value, twice
    ["merchant", 3.0, "3", True, None],                              # cells of other kinds in a text column
    ["#N/A", "merchant", "#DIV/0!"],                                 # Excel error values
])
def test_a_column_of_known_values_gives_each_cell_s_value_and_issue(rules, raw):
    issues, bad = {}, {}
    typed = convert_column("refunded_by", list(raw), rules, "en", issues, bad)
    expected, expected_issues = one_by_one("refunded_by", raw, rules)
    assert typed == expected
    assert {k: [i.message for i in v] for k, v in issues.items()} == expected_issues
    assert bad.get("refunded_by", []) == sorted(expected_issues)


def test_an_unknown_value_is_reported_on_every_row_that_holds_it(rules):
    issues, bad = {}, {}
    convert_column("refunded_by", ["merchant", "the cat", "store", "the cat"], rules, "en", issues, bad)
    assert bad == {"refunded_by": [1, 3]}
    assert [i.message for i in issues[1]] == [
        "Refunded By 'the cat' is not one of: customer, merchant, wish"]
