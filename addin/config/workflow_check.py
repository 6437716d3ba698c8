"""workflow.yaml -> Workflow, with the checks a state table needs.

Every state named by an event, a Wish state or `initial` must exist; event ids
are unique; guards compile to conditions; and every state can be reached from
where orders start, so no state is a typo nobody can get to.
"""

from __future__ import annotations

from typing import Any

from addin.config import schema as S
from addin.config.yamlfile import line_of
from addin.domain.expr import BOOL
from addin.domain.messages import Text
from addin.domain.model import Cited, Event, FieldDef, ShipBy, State, Workflow

FILE = "workflow"


def build_workflow(b: Any, w: S.WorkflowM, raw: Any, defs: dict[str, FieldDef], names: dict[str, str]) -> Workflow | None:
    ok = True
    states: dict[str, State] = {}
    allowed = b.placeholders | set(names)
    for sid, s in w.states.items():
        node = raw["states"][sid]
        msg = b.message(FILE, node, "next_action", s.next_action, allowed)
        if msg is None:
            ok = False
            continue
        states[sid] = State(sid, Text(s.label.en, s.label.zh), msg, b.ref(FILE, line_of(raw, "states", sid)))

    def known(state: str, line: int | None, what: str) -> bool:
        if state in w.states:
            return True
        import difflib

        hint = difflib.get_close_matches(state, list(w.states), n=1)
        b.error(FILE, line, f'{what}: unknown state "{state}"' + (f"; did you mean '{hint[0]}'?" if hint else ""))
        return False

    ok &= known(w.initial, line_of(raw, "initial"), "initial")
    for wish, state in w.wish_states.items():
        ok &= known(state, line_of(raw, "wish_states", wish), f"wish_states.{wish}")

    sb = w.ship_by
    sb_node = raw["ship_by"]
    if names.get(sb.from_) != "datetime":
        b.error(FILE, line_of(sb_node, "from"), f'ship_by.from: "{sb.from_}" is not a date-time field')
        ok = False
    ship_by = ShipBy(Cited(sb.id, b.ref(FILE, line_of(raw, "ship_by")), sb.description, sb.source), sb.from_, sb.hours)

    events: list[Event] = []
    seen: set[str] = set()
    for i, e in enumerate(w.events):
        i = b.original("workflow", ("workflow", "events"), i)
        node = raw["events"][i]
        line = line_of(raw, "events", i)
        if e.id in seen:
            b.error(FILE, line, f'duplicate event id "{e.id}"')
            ok = False
        seen.add(e.id)
        for j, src in enumerate(e.from_):
            ok &= known(src, line_of(node, "from", j), "from")
        ok &= known(e.to, line_of(node, "to"), "to")
        when = b.expr(FILE, node, "when", e.when, names, BOOL) if e.when else None
        if e.when and when is None:
            ok = False
        events.append(Event(Cited(e.id, b.ref(FILE, line), e.description, e.source), Text(e.label.en, e.label.zh),
                            frozenset(e.from_), e.to, when, e.auto))
    if not ok:
        return None
    kept = b.index.get(FILE, {}).get(("workflow", "events"))
    if kept is not None and len(kept) < len(raw["events"]):
        return None  # an event was left out for a schema error: reachability would only mislead

    reachable = {w.initial, *w.wish_states.values()}
    changed = True
    while changed:
        changed = False
        for ev in events:
            if ev.target not in reachable and (not ev.sources or ev.sources & reachable):
                reachable.add(ev.target)
                changed = True
    for sid in w.states:
        if sid not in reachable:
            b.error(FILE, line_of(raw, "states", sid), f'state "{sid}" cannot be reached by any event')
            ok = False
    if not ok:
        return None
    return Workflow(states, w.initial, dict(w.wish_states), b.ref(FILE, line_of(raw, "wish_states")), tuple(events),
                    ship_by)
