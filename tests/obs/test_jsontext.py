"""router.obs.jsontext: orjson's speed, the standard library's output, for what it is used on."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from router.obs import jsontext
from router.receive.replybytes import dumps_reply

scalars = st.one_of(st.text(), st.integers(), st.booleans(), st.none(), st.floats())
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(st.text(max_size=5), inner, max_size=3), max_leaves=8)


@given(st.dictionaries(st.text(max_size=8), values, max_size=5))
def test_a_reply_is_byte_for_byte_what_flask_would_send(body: dict[str, Any]) -> None:
    assert dumps_reply(body) == json.dumps(body, separators=(",", ":")).encode()


def test_the_inputs_where_orjson_differs_take_the_standard_path() -> None:
    for body in ({"s": "caf\u00e9"}, {"s": "\x7f"}, {"n": 2**70}, {"f": 1e-7},
                 {"nested": {"s": "\u2603"}}, {"status": "accepted", "alert_id": 7}):
        assert dumps_reply(body) == json.dumps(body, separators=(",", ":")).encode()


def test_a_log_event_is_json_whatever_it_holds() -> None:
    class Opaque:
        def __str__(self) -> str:
            return "opaque \u2603"

    event = {"msg": "caf\u00e9", "n": 2**70, 3: "int key", "obj": Opaque(), "f": 0.5}
    assert json.loads(jsontext.dumps(event, default=str)) == {
        "msg": "caf\u00e9", "n": 2**70, "3": "int key", "obj": "opaque \u2603", "f": 0.5}
    assert "caf\u00e9" in jsontext.dumps({"msg": "caf\u00e9"}, default=str)  # not escaped
