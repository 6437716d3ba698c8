"""The sheet rewriter: owned columns replaced, every other byte of the sheet part as it was."""

from __future__ import annotations

from datetime import datetime

import pytest

from addin.io.sheetxml import SheetError, SheetRewriter

HEAD = b'<?xml version="1.0"?><worksheet xmlns="m"><dimension ref="A1:B3"/><sheetData>'
TAIL = b'</sheetData><autoFilter ref="A1:B3"/><mergeCells count="0"/></worksheet>'


def rewrite(xml: bytes, updates, owned, date_style="7", header_from=None) -> bytes:
    return b"".join(SheetRewriter(xml, updates, owned, date_style, header_from).chunks())


def test_owned_cells_are_replaced_and_others_kept_byte_for_byte():
    row2 = b'<row r="2" spans="1:3"><c r="A2" t="s"><v>3</v></c><c r="B2" s="4"><f>A2*2</f><v>6</v></c>' \
           b'<c r="C2" s="9" t="inlineStr"><is><t>old</t></is></c></row>'
    row3 = b'<row r="3"><c r="A3"><v>1</v></c></row>'
    out = rewrite(HEAD + row2 + row3 + TAIL, {2: {2: "new", 3: datetime(2018, 11, 7, 17)}}, {2, 3})
    assert out == (b'<?xml version="1.0"?><worksheet xmlns="m"><dimension ref="A1:D3"/><sheetData>'
                   b'<row r="2"><c r="A2" t="s"><v>3</v></c><c r="B2" s="4"><f>A2*2</f><v>6</v></c>'
                   b'<c r="C2" s="9" t="inlineStr"><is><t xml:space="preserve">new</t></is></c>'
                   b'<c r="D2" s="7"><v>43411.708333333336</v></c></row>' + row3 +
                   b'</sheetData><autoFilter ref="A1:D3"/><mergeCells count="0"/></worksheet>')


def test_cells_and_rows_without_r_attributes_are_placed_by_position():
    xml = HEAD + b'<row><c t="s"><v>0</v></c></row><row><c><v>1</v></c><c><v>9</v></c></row>' + TAIL
    out = rewrite(xml, {2: {1: 5.5}}, {1})
    assert b'<row><c r="A2"><v>1</v></c><c r="B2"><v>5.5</v></c></row>' in out
    assert b'<row><c t="s"><v>0</v></c></row>' in out


def test_a_namespace_prefix_is_kept():
    xml = b'<x:worksheet xmlns:x="m"><x:sheetData><x:row r="1"><x:c r="A1" s="2" t="s"><x:v>0</x:v></x:c>' \
          b'</x:row></x:sheetData></x:worksheet>'
    out = rewrite(xml, {1: {1: "Status"}}, {1}, header_from=0)
    assert out == (b'<x:worksheet xmlns:x="m"><x:sheetData><x:row r="1"><x:c r="A1" s="2" t="s"><x:v>0</x:v>'
                   b'</x:c><x:c r="B1" s="2" t="inlineStr"><x:is><x:t xml:space="preserve">Status</x:t></x:is>'
                   b'</x:c></x:row></x:sheetData></x:worksheet>')


def test_text_that_looks_like_a_formula_or_holds_control_characters_stays_text():
    out = rewrite(HEAD + b'<row r="2"/>' + TAIL, {2: {0: '=HYPERLINK("x")&<b>\x01_x0041_'}}, {0})
    assert b'<is><t xml:space="preserve">=HYPERLINK("x")&amp;&lt;b&gt;_x0001__x005F_x0041_</t></is>' in out
    assert b"<f>" not in out


def test_a_sheet_with_a_dtd_is_refused():
    with pytest.raises(SheetError, match="DTD or entities"):
        rewrite(b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><worksheet/>', {}, {0})


def test_text_that_looks_like_a_cell_reference_does_not_fool_the_rewriter():
    tricky = b'<row r="5"><c r="A5" t="inlineStr"><is><t> r="B5" and r="C5"</t></is></c></row>'
    out = rewrite(HEAD + tricky + TAIL, {5: {1: "new"}}, {1})
    assert (b'<row r="5"><c r="A5" t="inlineStr"><is><t> r="B5" and r="C5"</t></is></c>'
            b'<c r="B5" t="inlineStr"><is><t xml:space="preserve">new</t></is></c></row>') in out


def test_a_row_whose_cells_stop_before_the_owned_columns_keeps_them_all():
    row = b'<row r="2"><c r="A2"><v>1</v></c><c r="B2" s="3"><v>2</v></c></row>'
    out = rewrite(HEAD + row + TAIL, {2: {4: 9}}, {4, 5})
    assert b'<row r="2"><c r="A2"><v>1</v></c><c r="B2" s="3"><v>2</v></c><c r="E2"><v>9</v></c></row>' in out


def sheet_of(rows: int) -> bytes:
    body = b"".join(b'<row r="%d"><c r="A%d"><v>%d</v></c><c r="B%d" t="inlineStr"><is><t>x%d</t></is></c></row>'
                    % (r, r, r, r, r) if r % 7 else b'<row r="%d"/>' % r for r in range(1, rows + 1))
    return HEAD + body + TAIL


def in_blocks(xml: bytes, every: int) -> list[bytes]:
    """The part cut after every `every`-th row end, as sheetread.blocks hands it over."""
    out, start, seen, at = [], 0, 0, xml.find(b"</row>")
    while at >= 0:
        seen += 1
        if seen % every == 0:
            out.append(xml[start:at + 6])
            start = at + 6
        at = xml.find(b"</row>", at + 6)
    return out + [xml[start:]]


@pytest.mark.parametrize("every", [1, 3, 50])
def test_a_part_given_in_blocks_or_in_two_halves_comes_out_the_same(every):
    xml = sheet_of(40)
    updates = {r: {2: f"new {r}", 3: 1.5 * r} for r in range(2, 41) if r % 5}

    def new(source):
        return SheetRewriter(source, updates, {2, 3}, "7")

    whole = b"".join(new(xml).chunks())
    assert b'<dimension ref="A1:D3"/>' in whole and b'<autoFilter ref="A1:D3"/>' in whole
    assert b"".join(new(in_blocks(xml, every)).chunks()) == whole
    for split in (2, 7, 8, 20, 40):  # a row with new values, a blank row, the last row
        head = b"".join(new(in_blocks(xml, every)).chunks(stop_row=split))
        tail = b"".join(new(in_blocks(xml, every)).chunks(start_row=split))
        assert head + tail == whole, split
        assert tail.startswith(b'<row r="%d"' % split)


@pytest.mark.parametrize("old,new", [
    # a second run: the owned cells are there; their styles stay, their values are new
    (b'<c r="A2"><v>1</v></c><c r="B2" s="5" t="inlineStr"><is><t>old</t></is></c><c r="C2" s="7"><v>2</v></c>',
     b'<c r="A2"><v>1</v></c><c r="B2" s="5" t="inlineStr"><is><t xml:space="preserve">new</t></is></c>'
     b'<c r="C2" s="7"><v>43411.708333333336</v></c>'),
    # her cell right of the owned ones stays
    (b'<c r="A2"><v>1</v></c><c r="B2" t="inlineStr"><is><t>old</t></is></c><c r="D2"><v>9</v></c>',
     b'<c r="A2"><v>1</v></c><c r="B2" t="inlineStr"><is><t xml:space="preserve">new</t></is></c>'
     b'<c r="C2" s="7"><v>43411.708333333336</v></c><c r="D2"><v>9</v></c>'),
    # a style written after the type (not Excel's order) still stays
    (b'<c r="A2"><v>1</v></c><c r="B2" t="inlineStr" s="5"><is><t>old</t></is></c>',
     b'<c r="A2"><v>1</v></c><c r="B2" s="5" t="inlineStr"><is><t xml:space="preserve">new</t></is></c>'
     b'<c r="C2" s="7"><v>43411.708333333336</v></c>'),
    # text that holds what a style looks like does not pass for one
    (b'<c r="A2"><v>1</v></c><c r="B2" t="inlineStr"><is><t>a s="3" b</t></is></c>',
     b'<c r="A2"><v>1</v></c><c r="B2" t="inlineStr"><is><t xml:space="preserve">new</t></is></c>'
     b'<c r="C2" s="7"><v>43411.708333333336</v></c>'),
])
def test_a_second_run_replaces_the_owned_cells_keeping_their_styles(old, new):
    out = rewrite(HEAD + b'<row r="2">' + old + b"</row>" + TAIL, {2: {1: "new", 2: datetime(2018, 11, 7, 17)}},
                  {1, 2})
    assert b'<row r="2">' + new + b"</row>" in out
