"""`wishxl rules check`: every mistake in rules/*.yaml is named with its file and line.

A merchant edits the YAML rule files by hand. What they rely on: whatever they get wrong
(a misspelt key, a bad date, a name that is not a field, a construct the expression
language refuses, a YAML typo, a state that does not exist...) comes back as one line

    rules/policies.yaml line 29: unknown field "amout"

pointing at the line to fix, before any order is recalculated with a broken rule set.

Each case below starts from a copy of the bundled rules/ in a temporary folder (the
current directory, so paths print as `rules/X.yaml`), makes one small edit, and states
the exact report. `{line}` in a report is the line of the edited text in the copied
file, found by searching for it, so a line added elsewhere in a rule file does not
break these tests.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from addin.cli import app
from addin.config.loader import DEFAULT_RULES, check_rules

BUNDLED = Path(DEFAULT_RULES)

# A wide console: each report on one line, as a merchant's terminal shows it.
# (What an 80-column CI log gets is tested on its own, below.)
wide = CliRunner(env={"COLUMNS": "500"})


@dataclass(frozen=True)
class Mistake:
    what: str  # what the merchant did
    file: str  # which rules/FILE.yaml
    old: str  # text of the bundled file (it occurs there once)
    new: str  # what the merchant wrote instead
    says: str  # the exact report; {line} is the line of `at`
    at: str | None = None  # the part of `new` the report points at (default: `new` itself)

    def __str__(self) -> str:
        return self.what


def edit(rules: Path, file: str, old: str, new: str, at: str | None = None) -> int:
    """Replace the one `old` in rules/FILE.yaml by `new`; return the 1-based line of `at`.

    `at` is a part of `new` (default: `new` itself), or else a text found once in the edited file.
    """
    path = rules / f"{file}.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} should occur once in {path.name}"
    start = text.index(old)
    edited = text[:start] + new + text[start + len(old):]
    path.write_text(edited, encoding="utf-8")
    at = new if at is None else at
    if at in new:
        return text[:start].count("\n") + new[: new.index(at)].count("\n") + 1
    return line_of(edited, at)


def line_of(text: str, part: str) -> int:
    """The 1-based line where `part`, found once in `text`, starts."""
    assert text.count(part) == 1, f"{part!r} should occur once"
    return text[: text.index(part)].count("\n") + 1


def expected(mistake: Mistake, line: int) -> str:
    return mistake.says.replace("{line}", str(line))


@pytest.fixture
def rules_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the bundled rules in tmp_path/rules, with tmp_path the current directory."""
    shutil.copytree(BUNDLED, tmp_path / "rules")
    monkeypatch.chdir(tmp_path)
    return tmp_path / "rules"


MISTAKES = [
    # -- the shape of a file: keys, types, dates, required fields --------------------------------
    Mistake("a key the schema does not know, beside the real one",
            "policies", "    amount: {fixed: 2.00}\n", "    amount: {fixed: 2.00}\n    amout: 3.00\n",
            'rules/policies.yaml line {line}: unknown field "amout"', at="    amout: 3.00"),
    Mistake("a misspelt optional setting",
            "settings", "  language: en", "  langauge: en",
            'rules/settings.yaml line {line}: unknown field "langauge"'),
    Mistake("words where a number belongs",
            "policies", "      hours: 48\n", "      hours: forty-eight\n",
            "rules/policies.yaml line {line}: policies.0.suspension.hours: Input should be a valid number, "
            "unable to parse string as a number (got 'forty-eight')"),
    Mistake("a severity that is not error or warning",
            "validation", "    severity: error\n    field: quantity\n    when: present(quantity)\n",
            "    severity: fatal\n    field: quantity\n    when: present(quantity)\n",
            "rules/validation.yaml line {line}: rules.2.severity: Input should be 'error' or 'warning' (got 'fatal')",
            at="    severity: fatal"),
    Mistake("a language the program does not speak",
            "settings", "  language: en", "  language: fr",
            "rules/settings.yaml line {line}: settings.language: Input should be 'en' or 'zh' (got 'fr')"),
    Mistake("a negative fine",
            "policies", "    amount: {fixed: 2.00}", "    amount: {fixed: -2.00}",
            "rules/policies.yaml line {line}: policies.0.amount.fixed: Input should be greater than or equal to 0 "
            "(got -2.0)"),
    Mistake("a ship-by window of zero hours",
            "workflow", "    hours: 120", "    hours: 0",
            "rules/workflow.yaml line {line}: workflow.ship_by.hours: Input should be greater than 0 (got 0)"),
    Mistake("a percentage without the value it is a percentage of",
            "policies", "    amount: {fixed: 50.00}\n", "    amount: {fixed: 50.00, percent: 5}\n",
            "rules/policies.yaml line {line}: policies.1.amount: 'percent' needs 'of' "
            "(the value it is a percentage of)", at="    amount"),
    Mistake("a date that does not exist (October 32nd)",
            "policies", 'after: "2018-10-17T17:00:00-07:00"', 'after: "2018-10-32T17:00:00-07:00"',
            "rules/policies.yaml line {line}: policies.0.effective.0.after: bad date: Input should be a valid "
            "datetime or date, day value is outside expected range (got '2018-10-32T17:00:00-07:00')"),
    Mistake("a date written in words",
            "policies", 'after: "2018-10-17T17:00:00-07:00"', 'after: "17 Oct 2018"',
            "rules/policies.yaml line {line}: policies.0.effective.0.after: bad date: Input should be a valid "
            "datetime or date, invalid character in year (got '17 Oct 2018')"),
    Mistake("a closure day that does not exist",
            "calendar", "    - date: 2018-12-05", "    - date: 2018-12-32",
            "rules/calendar.yaml line {line}: calendar.extra_closures.0.date: bad date: Input should be a valid "
            "date or datetime, day value is outside expected range (got '2018-12-32')"),
    Mistake("a rule without its source",
            "validation",
            "  - id: quantity-positive\n    description: At least one item must be ordered.\n"
            "    source: Wish order object, quantity; shared/notes/000_f9c0463f5ec343a9.txt §一.1 (核对数量).\n",
            "  - id: quantity-positive\n    description: At least one item must be ordered.\n",
            'rules/validation.yaml line {line}: missing field "source"', at="  - id: quantity-positive"),
    Mistake("a rule with neither check nor required",
            "validation", "    when: present(quantity)\n    check: quantity >= 1\n", "    when: present(quantity)\n",
            "rules/validation.yaml line {line}: rules.2: a rule needs exactly one of 'check' or 'required'",
            at="  - id: quantity-positive"),
    # -- YAML itself ------------------------------------------------------------------------------
    Mistake("a colon inside an unquoted expression",
            "validation", "    check: quantity >= 1", "    check: quantity: 1",
            "rules/validation.yaml line {line}, column 20: YAML syntax error: mapping values are not allowed here"),
    Mistake("a tab used for indentation",
            "validation", "    check: quantity >= 1", "\tcheck: quantity >= 1",
            "rules/validation.yaml line {line}, column 1: YAML syntax error: "
            "found character '\\t' that cannot start any token"),
    Mistake("the same key twice in one rule",
            "validation", "    check: quantity >= 1", "    check: quantity >= 1\n    check: quantity > 0",
            'rules/validation.yaml line {line}, column 5: YAML syntax error: found duplicate key "check" '
            'with value "quantity > 0" (original value: "quantity >= 1")', at="    check: quantity > 0"),
    # -- names in expressions ---------------------------------------------------------------------
    Mistake("a misspelt field in a check",
            "validation", "check: quantity >= 1", "check: quantty >= 1",
            "rules/validation.yaml line {line}: check: unknown name 'quantty'; did you mean 'quantity'? at column 1"),
    Mistake("a misspelt derived value in an amount",
            "policies", "amount: {of: order_value, plus: 100.00}", "amount: {of: order_valu, plus: 100.00}",
            "rules/policies.yaml line {line}: of: unknown name 'order_valu'; did you mean 'order_value'? at column 1"),
    Mistake("a misspelt field in a workflow guard",
            "workflow", "when: present(tracking_confirmed_at)", "when: present(tracking_confirmd_at)",
            "rules/workflow.yaml line {line}: when: unknown name 'tracking_confirmd_at'; "
            "did you mean 'tracking_confirmed_at'? at column 9"),
    Mistake("a misspelt helper",
            "validation", "check: quantity >= 1", "check: lowr(sku) == 'x'",
            "rules/validation.yaml line {line}: check: function 'lowr' is not allowed; did you mean 'lower'? "
            "at column 1"),
    # -- constructs the expression language refuses -----------------------------------------------
    Mistake("attribute access",
            "validation", "check: quantity >= 1", "check: quantity.__class__ == 1",
            "rules/validation.yaml line {line}: check: attribute access (a.b) is not allowed at column 1"),
    Mistake("a call of a Python builtin",
            "validation", "check: quantity >= 1", "check: open('x') == 1",
            "rules/validation.yaml line {line}: check: function 'open' is not allowed at column 1"),
    Mistake("an import",
            "validation", "check: quantity >= 1", "check: __import__('os') == 1",
            "rules/validation.yaml line {line}: check: function '__import__' is not allowed at column 1"),
    Mistake("a power",
            "validation", "check: quantity >= 1", "check: quantity ** 2 >= 1",
            "rules/validation.yaml line {line}: check: '**' is not allowed at column 1"),
    Mistake("indexing",
            "validation", "check: quantity >= 1", "check: sku[0] == 'x'",
            "rules/validation.yaml line {line}: check: indexing (a[b]) is not allowed at column 1"),
    Mistake("a comprehension",
            "validation", "check: quantity >= 1", "check: \"[x for x in 'ab'] == 1\"",
            "rules/validation.yaml line {line}: check: comprehensions are not allowed at column 1"),
    Mistake("an unfinished expression",
            "validation", "check: quantity >= 1", "check: quantity >=",
            "rules/validation.yaml line {line}: check: syntax error: invalid syntax at column 12"),
    Mistake("a bad regular expression in matches()",
            "validation", "matches(tracking_number, '[A-Za-z0-9]+')", "matches(tracking_number, '[A-Za-z0-9+')",
            "rules/validation.yaml line {line}: check: bad regular expression '[A-Za-z0-9+': "
            "unterminated character set at position 0 at column 26"),
    Mistake("an instant that does not exist",
            "validation", "check: quantity >= 1", "check: instant('2019-13-01') < released_at",
            "rules/validation.yaml line {line}: check: bad instant '2019-13-01': month must be in 1..12 at column 9"),
    # -- messages ---------------------------------------------------------------------------------
    Mistake("a placeholder that names nothing",
            "validation", '"Quantity {{ quantity }} must be at least 1"', '"Quantity {{ quantty }} must be at least 1"',
            "rules/validation.yaml line {line}: message: message (en) uses unknown placeholder 'quantty'"),
    Mistake("a placeholder that names nothing, in Chinese",
            "validation", '"数量 {{ quantity }} 至少应为 1"', '"数量 {{ qty }} 至少应为 1"',
            "rules/validation.yaml line {line}: message: message (zh) uses unknown placeholder 'qty'"),
    Mistake("a placeholder that names nothing, in a next action",
            "workflow", '"Confirm the payment"', '"Confirm the payment of {{ amout }}"',
            "rules/workflow.yaml line {line}: next_action: message (en) uses unknown placeholder 'amout'"),
    Mistake("a placeholder missing a brace",
            "validation", '"数量 {{ quantity }} 至少应为 1"', '"数量 {{ quantity } 至少应为 1"',
            "rules/validation.yaml line {line}: message: message (zh) has a template error: unexpected '}'"),
    # -- time zones -------------------------------------------------------------------------------
    Mistake("a misspelt workbook time zone",
            "settings", "workbook_zone: America/Los_Angeles", "workbook_zone: America/Los_Angelos",
            'rules/settings.yaml line {line}: workbook_zone: unknown time zone "America/Los_Angelos" '
            "(e.g. America/Los_Angeles)"),
    Mistake("a policy time zone that does not exist",
            "calendar", "policy_zone: America/Los_Angeles", "policy_zone: Pacific/Nowhere",
            'rules/calendar.yaml line {line}: policy_zone: unknown time zone "Pacific/Nowhere" '
            "(e.g. America/Los_Angeles)"),
    # -- types ------------------------------------------------------------------------------------
    Mistake("arithmetic on text",
            "validation", "check: quantity >= 1", "check: country * 3",
            "rules/validation.yaml line {line}: check: cannot compute text * a number at column 1"),
    Mistake("text compared with a number",
            "validation", "check: quantity >= 1", "check: country > 3",
            "rules/validation.yaml line {line}: check: cannot compare text with a number at column 11"),
    Mistake("a number given to a text helper",
            "validation", "check: quantity >= 1", "check: lower(quantity) == 'x'",
            "rules/validation.yaml line {line}: check: lower() argument 1 must be text, not a number at column 7"),
    Mistake("a number added to a date-time",
            "policies", "    generated_at: refunded_at", "    generated_at: refunded_at + 1",
            "rules/policies.yaml line {line}: generated_at: cannot compute a date-time + a number at column 1"),
    Mistake("a number where a check needs true/false",
            "validation", "check: quantity >= 1", "check: quantity + 1",
            "rules/validation.yaml line {line}: check: the expression must give true/false, but gives a number"),
    Mistake("a date-time where a guard needs true/false",
            "workflow", "      when: present(delivered_at)", "      when: delivered_at",
            "rules/workflow.yaml line {line}: when: the expression must give true/false, but gives a date-time"),
    Mistake("text where a fine needs the instant it is generated",
            "policies", "    generated_at: refunded_at", "    generated_at: refunded_by",
            "rules/policies.yaml line {line}: generated_at: the expression must give a date-time, but gives text"),
    # -- the workflow's states --------------------------------------------------------------------
    Mistake("an event leading to a state that does not exist",
            "workflow", "      to: delivered", "      to: deliverd",
            "rules/workflow.yaml line {line}: to: unknown state \"deliverd\"; did you mean 'delivered'?"),
    Mistake("an event leaving from a state that does not exist",
            "workflow", "      from: [on_hold]\n", "      from: [onhold]\n",
            "rules/workflow.yaml line {line}: from: unknown state \"onhold\"; did you mean 'on_hold'?",
            at="      from"),
    Mistake("an initial state that does not exist",
            "workflow", "  initial: new", "  initial: nwe",
            "rules/workflow.yaml line {line}: initial: unknown state \"nwe\"; did you mean 'new'?"),
    Mistake("a Wish state mapped to a state that does not exist",
            "workflow", "    SHIPPED: shipped", "    SHIPPED: shiped",
            "rules/workflow.yaml line {line}: wish_states.SHIPPED: unknown state \"shiped\"; "
            "did you mean 'shipped'?"),
    Mistake("a state no event leads to",
            "workflow", "  states:\n",
            "  states:\n    limbo:\n      label: {en: Limbo, zh: 未知}\n      next_action: {en: '', zh: ''}\n",
            'rules/workflow.yaml line {line}: state "limbo" cannot be reached by any event', at="    limbo:"),
    Mistake("a ship-by time counted from a number",
            "workflow", "    from: released_at", "    from: quantity",
            'rules/workflow.yaml line {line}: ship_by.from: "quantity" is not a date-time field'),
    # -- ids and references -----------------------------------------------------------------------
    Mistake("two validation rules with one id",
            "validation", "  - id: price-not-negative", "  - id: quantity-positive",
            'rules/validation.yaml line {line}: duplicate rule id "quantity-positive"'),
    Mistake("two policies with one id",
            "policies", "  - id: fake-tracking-2019", "  - id: fake-tracking",
            'rules/policies.yaml line {line}: duplicate policy id "fake-tracking"'),
    Mistake("two events with one id",
            "workflow", "    - id: refund\n", "    - id: cancel\n",
            'rules/workflow.yaml line {line}: duplicate event id "cancel"', at="    - id: cancel"),
    Mistake("an issue pointing at a column that does not exist",
            "validation", "field: zipcode", "field: zip_code",
            'rules/validation.yaml line {line}: field: unknown field "zip_code"'),
    Mistake("a required field that does not exist",
            "validation", "required: [order_id, released_at, sku, quantity, price, country]",
            "required: [order_id, released_at, sku, quantty, price, country]",
            'rules/validation.yaml line {line}: required: unknown field "quantty"'),
    Mistake("a policy dated by a field that is not a date-time",
            "policies", '      - field: released_at\n        after: "2018-10-17T17:00:00-07:00"',
            '      - field: quantity\n        after: "2018-10-17T17:00:00-07:00"',
            'rules/policies.yaml line {line}: effective.field: "quantity" is not a date-time field (or generated_at)',
            at="      - field: quantity"),
    # -- the calendar -----------------------------------------------------------------------------
    Mistake("a weekend mask of eight days",
            "calendar", 'weekend: "0000011"', 'weekend: "00000111"',
            "rules/calendar.yaml line {line}: weekend: weekend mask '00000111' must be 7 characters of 0 and 1, "
            "Monday first (1 = weekend)"),
    Mistake("holiday years the wrong way round",
            "calendar", "    first_year: 2014", "    first_year: 2050",
            "rules/calendar.yaml line {line}: holidays: first_year is after last_year"),
]


# -- the bundled rules --------------------------------------------------------------------------
def test_the_bundled_rules_are_sound() -> None:
    """The rules shipped with the program check clean, wherever it is run from."""
    assert check_rules(BUNDLED) == []
    assert check_rules() == []


def test_cli_says_ok_for_the_bundled_rules(rules_copy: Path) -> None:
    result = wide.invoke(app, ["rules", "check", "rules"])
    assert result.exit_code == 0
    assert result.stdout == "rules: OK\n"


def test_cli_json_is_an_empty_list_for_the_bundled_rules(rules_copy: Path) -> None:
    result = wide.invoke(app, ["rules", "check", "rules", "--json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout) == []


# -- one mistake, one line ----------------------------------------------------------------------
@pytest.mark.parametrize("mistake", MISTAKES, ids=str)
def test_library_reports_the_mistake_with_file_and_line(rules_copy: Path, mistake: Mistake) -> None:
    """check_rules() gives one RuleError naming the file and the line to fix, and nothing else."""
    line = edit(rules_copy, mistake.file, mistake.old, mistake.new, mistake.at)
    errors = check_rules("rules")
    assert [str(e) for e in errors] == [expected(mistake, line)]
    assert errors[0].file == f"rules/{mistake.file}.yaml"
    assert errors[0].line == line


@pytest.mark.parametrize("mistake", MISTAKES, ids=str)
def test_cli_prints_the_mistake_and_exits_1(rules_copy: Path, mistake: Mistake) -> None:
    """`wishxl rules check rules` prints exactly the report, and exits 1."""
    line = edit(rules_copy, mistake.file, mistake.old, mistake.new, mistake.at)
    result = wide.invoke(app, ["rules", "check", "rules"])
    assert result.exit_code == 1
    assert result.stdout == expected(mistake, line) + "\n"


@pytest.mark.parametrize("mistake", MISTAKES, ids=str)
def test_cli_json_gives_file_line_column_and_message(rules_copy: Path, mistake: Mistake) -> None:
    """`--json` gives the same report as data, for an editor or a script."""
    line = edit(rules_copy, mistake.file, mistake.old, mistake.new, mistake.at)
    result = wide.invoke(app, ["rules", "check", "rules", "--json"])
    assert result.exit_code == 1
    [problem] = json.loads(result.stdout)
    assert set(problem) == {"file", "line", "column", "message"}
    column = f", column {problem['column']}" if problem["column"] is not None else ""
    assert f"{problem['file']} line {problem['line']}{column}: {problem['message']}" == expected(mistake, line)
    assert problem["file"] == f"rules/{mistake.file}.yaml"
    assert problem["line"] == line


def test_json_gives_the_column_of_a_yaml_syntax_error(rules_copy: Path) -> None:
    line = edit(rules_copy, "validation", "    check: quantity >= 1", "    check: quantity: 1")
    result = wide.invoke(app, ["rules", "check", "rules", "--json"])
    assert json.loads(result.stdout) == [
        {"file": "rules/validation.yaml", "line": line, "column": 20,
         "message": "YAML syntax error: mapping values are not allowed here"},
    ]


# -- several mistakes ---------------------------------------------------------------------------
def test_several_mistakes_in_one_file_are_all_reported_sorted_by_line(rules_copy: Path) -> None:
    """All of a file's problems come in one run, top to bottom, whatever order they were found in.

    (Within a policy, `when` is checked before `effective`, which is written above it.)
    """
    when = edit(rules_copy, "policies", "    when: fake_tracking\n    generated_at: tracking_changed_at\n"
                "    amount: {of: order_value, plus: 100.00}",
                "    when: fake_trackin\n    generated_at: tracking_changed_at\n"
                "    amount: {of: order_value, plus: 100.00}", at="    when")
    effective = edit(rules_copy, "policies", '      - field: tracking_changed_at\n        until: "2019-01-15T00:00:00Z"',
                     '      - field: sku\n        until: "2019-01-15T00:00:00Z"', at="      - field")
    generated = edit(rules_copy, "policies", "    generated_at: refunded_at", "    generated_at: refunded_by")
    assert generated < effective < when
    expected_lines = [
        f"rules/policies.yaml line {generated}: generated_at: the expression must give a date-time, but gives text",
        f'rules/policies.yaml line {effective}: effective.field: "sku" is not a date-time field (or generated_at)',
        f"rules/policies.yaml line {when}: when: unknown name 'fake_trackin'; did you mean 'fake_tracking'? "
        "at column 1",
    ]
    assert [str(e) for e in check_rules("rules")] == expected_lines
    result = wide.invoke(app, ["rules", "check", "rules"])
    assert result.exit_code == 1
    assert result.stdout.splitlines() == expected_lines


def test_mistakes_in_several_files_come_file_by_file(rules_copy: Path) -> None:
    """One run shows the mistakes of every file, grouped by file, each file top to bottom."""
    state = edit(rules_copy, "workflow", "      to: delivered", "      to: deliverd")
    name = edit(rules_copy, "validation", "check: quantity >= 1", "check: quantty >= 1")
    regex = edit(rules_copy, "validation", "matches(tracking_number, '[A-Za-z0-9]+')",
                 "matches(tracking_number, '[A-Za-z0-9+')")
    zone = edit(rules_copy, "calendar", "policy_zone: America/Los_Angeles", "policy_zone: Pacific/Nowhere")
    assert [str(e) for e in check_rules("rules")] == [
        f'rules/calendar.yaml line {zone}: policy_zone: unknown time zone "Pacific/Nowhere" (e.g. America/Los_Angeles)',
        f"rules/validation.yaml line {name}: check: unknown name 'quantty'; did you mean 'quantity'? at column 1",
        f"rules/validation.yaml line {regex}: check: bad regular expression '[A-Za-z0-9+': "
        "unterminated character set at position 0 at column 26",
        f"rules/workflow.yaml line {state}: to: unknown state \"deliverd\"; did you mean 'delivered'?",
    ]


def test_a_misspelt_key_is_unknown_and_leaves_the_real_one_missing(rules_copy: Path) -> None:
    """Renaming `amount` to `amout` reports both halves: where the policy starts and where the typo is."""
    typo = edit(rules_copy, "policies", "    amount: {fixed: 2.00}", "    amout: {fixed: 2.00}")
    policy = line_of((rules_copy / "policies.yaml").read_text(encoding="utf-8"), "  - id: order-cancellation")
    assert [str(e) for e in check_rules("rules")] == [
        f'rules/policies.yaml line {policy}: missing field "amount"',
        f'rules/policies.yaml line {typo}: unknown field "amout"',
    ]


# -- files and folders --------------------------------------------------------------------------
def test_a_missing_rule_file_is_named(rules_copy: Path) -> None:
    (rules_copy / "policies.yaml").unlink()
    assert [str(e) for e in check_rules("rules")] == ["rules/policies.yaml: file not found"]


def test_a_missing_rules_folder(rules_copy: Path) -> None:
    assert [str(e) for e in check_rules("nowhere")] == ["nowhere: rules folder not found"]
    result = wide.invoke(app, ["rules", "check", "nowhere"])
    assert result.exit_code == 1
    assert result.stdout == "nowhere: rules folder not found\n"


def test_paths_are_shown_relative_to_the_current_folder(rules_copy: Path) -> None:
    """Given as an absolute path under the current folder, the rules still print as rules/X.yaml."""
    line = edit(rules_copy, "settings", "  language: en", "  language: fr")
    [error] = check_rules(rules_copy.resolve())
    assert error.file == "rules/settings.yaml"
    assert error.line == line


def test_paths_outside_the_current_folder_are_shown_in_full(rules_copy: Path, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    edit(rules_copy, "settings", "  language: en", "  language: fr")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    [error] = check_rules(rules_copy)
    assert error.file == str(rules_copy / "settings.yaml")


# -- once bugs, now fixed: they stay as regression tests ------------------------------------------
def test_cli_keeps_each_report_on_one_line_in_an_80_column_log(rules_copy: Path) -> None:
    line = edit(rules_copy, "validation", "check: quantity >= 1", "check: quantty >= 1")
    report = f"rules/validation.yaml line {line}: check: unknown name 'quantty'; did you mean 'quantity'? at column 1"
    assert len(report) > 80
    result = CliRunner(env={"COLUMNS": "80"}).invoke(app, ["rules", "check", "rules"])
    assert result.exit_code == 1
    assert result.stdout == report + "\n"


def test_a_bad_placeholder_in_a_required_rule_is_reported_once(rules_copy: Path) -> None:
    line = edit(rules_copy, "validation", '{en: "{{ field_label }} is missing"', '{en: "{{ field_lable }} is missing"')
    assert [str(e) for e in check_rules("rules")] == [
        f"rules/validation.yaml line {line}: message: message (en) uses unknown placeholder 'field_lable'",
    ]


def test_an_empty_rule_file_is_named(rules_copy: Path) -> None:
    (rules_copy / "settings.yaml").write_text("# emptied by mistake\n", encoding="utf-8")
    assert [e.file for e in check_rules("rules")] == ["rules/settings.yaml"]


def test_a_schema_mistake_does_not_hide_an_expression_mistake_in_the_same_file(rules_copy: Path) -> None:
    severity = edit(rules_copy, "validation", "    severity: error\n    field: quantity\n    when: present(quantity)\n",
                    "    severity: fatal\n    field: quantity\n    when: present(quantity)\n", at="    severity")
    name = edit(rules_copy, "validation", "check: quantity >= 1", "check: quantty >= 1")
    assert [str(e) for e in check_rules("rules")] == [
        f"rules/validation.yaml line {severity}: rules.2.severity: Input should be 'error' or 'warning' (got 'fatal')",
        f"rules/validation.yaml line {name}: check: unknown name 'quantty'; did you mean 'quantity'? at column 1",
    ]


def test_a_mistake_in_fields_yaml_is_reported_alone(rules_copy: Path) -> None:
    line = edit(rules_copy, "fields", "  quantity:\n    type: integer", "  quantity:\n    type: int", at="    type")
    assert [str(e) for e in check_rules("rules")] == [
        f"rules/fields.yaml line {line}: fields.quantity.type: Input should be 'text', 'number', 'integer', "
        "'datetime' or 'bool' (got 'int')",
    ]


def test_without_a_folder_the_ok_line_names_the_folder_checked(rules_copy: Path) -> None:
    edit(rules_copy, "settings", "  language: en", "  language: fr")  # ./rules is broken; the bundled set is not
    result = wide.invoke(app, ["rules", "check"])
    assert result.exit_code == 0
    assert result.stdout == f"{BUNDLED}: OK\n"
