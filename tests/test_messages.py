"""Messages render the same with the fast paths as with Jinja, for every message of the bundled rules."""

from __future__ import annotations

import pytest
from jinja2 import Template
from hypothesis import given, settings
from hypothesis import strategies as st

from addin.domain.messages import _ENV, Message, Text, _FlatIf, _shown
from addin.domain.present import Shown


def all_messages(rules):
    found = [s.next_action for s in rules.workflow.states.values()] + [v.message for v in rules.validations]
    found += [p.reason for p in rules.policies if p.reason] + [p.risk.message for p in rules.policies if p.risk]
    return found


VALUES = st.one_of(st.none(), st.just(""), st.text(max_size=6), st.integers(-3, 3), st.floats(0, 10),
                   st.sampled_from([Shown("yes", True), Shown("no", False)]))


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_every_bundled_message_renders_as_jinja_would(rules, data):
    for message in all_messages(rules):
        context = {n: data.draw(VALUES) for n in message.names}
        for lang in ("en", "zh"):
            jinja = _ENV.from_string(message.text(lang)).render({n: _shown(v) for n, v in context.items()})
            assert message.render(lang, context) == jinja, message.text(lang)


@pytest.mark.parametrize("source, kind", [
    ("plain {{ a }}", str),  # str.format
    ("{% if a %}A {{ b }}{% else %}none{% endif %} tail", _FlatIf),
    ("{% if a %}{% if b %}x{% endif %}{% endif %}", Template),  # nested: Jinja
    ("{{ a | upper }}", Template),  # a filter: Jinja
])
def test_which_messages_take_the_fast_path(source, kind):
    message = Message(Text(source, source))
    assert isinstance(message._templates["en"], kind)
    context = {"a": "x", "b": "y"}
    assert message.render("en", context) == _ENV.from_string(source).render(context)
