"""The order workflow: a YAML state table walked per order.

A row's status is derived from its data: it starts from the state its Wish
Order State maps to (or the initial state), then takes automatic events, first
listed first, while one applies. Manual events (a button in Excel) go through
`apply_event`, which answers with an Issue instead of raising when the event is
not allowed, so a bad row never stops a batch.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from addin.domain.fused import fuse
from addin.domain.messages import say
from addin.domain.model import ERROR, WARNING, Event, Issue, Workflow


def kept_states(workflow: Workflow) -> dict[str, str]:
    """States only the merchant puts an order in (targets of manual events alone, e.g. closed), by every
    spelling of their id and labels. A row the sheet shows in such a state stays there: the data
    cannot tell it, so recalculating must not undo it."""
    manual = {e.target for e in workflow.events if not e.auto}
    automatic = {e.target for e in workflow.events if e.auto} | {workflow.initial} | set(workflow.wish_states.values())
    out = {}
    for sid in manual - automatic:
        state = workflow.states[sid]
        for spelling in (sid, state.label.en, state.label.zh):
            out[_fold(spelling)] = sid
    return out


def _fold(text: Any) -> str:
    return "".join(str(text).split()).replace("_", "").casefold()


class Walker:
    """Precomputes, per state, the automatic events that may leave it (in YAML order)."""

    def __init__(self, workflow: Workflow):
        self.workflow = workflow
        self.auto: dict[str, tuple[Event, ...]] = {
            state: tuple(e for e in workflow.events if e.auto and e.allowed_from(state) and e.target != state)
            for state in workflow.states
        }
        self.by_id = {e.rule.id: e for e in workflow.events}
        # Guards do not depend on the state (the loader keeps `status` out of them), so all of them
        # are tested once per order in one fused call and the walk only looks the answers up.
        self._auto_events = [e for e in workflow.events if e.auto]
        self._guards = fuse([(e.when, None) for e in self._auto_events], "guards")
        position = {id(e): i for i, e in enumerate(self._auto_events)}
        self._auto_index = {state: tuple((position[id(e)], e) for e in events) for state, events in self.auto.items()}
        self.kept = kept_states(workflow)

    def start(self, order: Mapping[str, Any], language: str) -> tuple[str, Issue | None]:
        shown = order.get("_shown_status")
        if shown is not None and self.kept and _fold(shown) in self.kept:
            return self.kept[_fold(shown)], None
        wish_state = order.get("order_state")
        if wish_state is None:
            return self.workflow.initial, None
        known = self.workflow.wish_states.get(wish_state)  # the usual case: written exactly as Wish does
        if known is not None:
            return known, None
        key = str(wish_state).strip().upper()
        state = self.workflow.wish_states.get(key)
        if state is not None:
            return state, None
        known = ", ".join(sorted(self.workflow.wish_states))
        issue = Issue(WARNING, say("unknown_wish_state", language, value=str(wish_state), known=known),
                      "wish-states", self.workflow.wish_states_ref, "order_state")
        return self.workflow.initial, issue

    def settle(self, order: Mapping[str, Any], state: str) -> tuple[str, list[Event]]:
        """Take automatic events until none applies; return the final state and the path taken."""
        held = self._guards(order)
        if held is None:  # a guard raised on this row: test them one by one, so the error names its guard
            held = [i for i, e in enumerate(self._auto_events) if e.when is None or e.when.fn(order)]
        path: list[Event] = []
        for _ in range(self.workflow.max_steps):
            for i, event in self._auto_index.get(state, ()):
                if i in held:
                    state = event.target
                    path.append(event)
                    break
            else:
                return state, path
        return state, path

    def apply_event(
        self, order: Mapping[str, Any], state: str, event_id: str, language: str
    ) -> tuple[str, Issue | None]:
        """A chosen event on one order: the new state, or the old one and the reason it was refused."""
        event = self.by_id.get(event_id)
        if event is None or not event.allowed_from(state):
            label = event.label(language) if event else event_id
            state_label = self.workflow.states[state].label(language) if state in self.workflow.states else state
            return state, Issue(ERROR, say("not_allowed", language, event=label, state=state_label),
                                event_id, event.rule.ref if event else None)
        if event.when is not None and not event.when.fn(order):
            return state, Issue(ERROR, say("guard_failed", language, event=event.label(language),
                                           condition=event.when.source), event_id, event.rule.ref)
        return event.target, None
