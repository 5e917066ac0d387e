"""Loading rules.yaml: the shipped file, interpolation, and every kind of bad file."""

from __future__ import annotations

import hashlib
import textwrap
from pathlib import Path

import pytest

from router.errors import RulesError
from router.rules import Receiver, load_rules

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "rules.yaml"


def write(tmp_path: Path, text: str, name: str = "rules.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def problems(path: Path, environ: dict[str, str] | None = None) -> list[tuple[int, int, str]]:
    """(line, column, message) of every problem, asserting that loading fails."""
    with pytest.raises(RulesError) as caught:
        load_rules(path, environ or {})
    assert all(p.file == str(path) for p in caught.value.problems)
    return [(p.line, p.column, p.message) for p in caught.value.problems]


# ---------------------------------------------------------------- the shipped file


def test_shipped_rules_load_without_any_environment() -> None:
    rules = load_rules(SHIPPED, environ={})
    assert sorted(rules.receivers) == ["console", "noc", "site-a-oncall"]
    assert all(r.urls == ("log://",) for r in rules.receivers.values())
    assert [r.name for r in rules.routes] == ["offline", "site-a-view-blocked", "everything-else"]
    assert rules.routes[-1].matchers == ()  # the catch-all
    assert rules.source == SHIPPED
    assert rules.digest == hashlib.sha256(SHIPPED.read_bytes()).hexdigest()


def test_shipped_rules_take_urls_from_the_environment() -> None:
    rules = load_rules(SHIPPED, environ={"ROUTER_NOC_URL": "json://127.0.0.1:9000/hook"})
    assert rules.receivers["noc"].urls == ("json://127.0.0.1:9000/hook",)
    assert rules.receivers["console"].urls == ("log://",)


def test_receiver_repr_never_shows_urls() -> None:
    receiver = Receiver(name="noc", urls=("slack://token-abc/#noc",))
    assert "token-abc" not in repr(receiver)


def test_positions_are_kept_for_tools(tmp_path: Path) -> None:
    path = write(tmp_path, """\
        receivers:
          noc:
            urls: ["log://"]
        routes:
          - receivers: [noc]
            match: {tags: [a]}
        """)
    rules = load_rules(path, {})
    assert rules.position("receivers.noc") == (3, 5)
    assert rules.position("routes[0].match.tags") == (6, 19)
    assert rules.position("routes[0].match.tags.nothing.here") == (6, 19)
    assert rules.routes[0].name == "routes[0]"  # the default name


# ---------------------------------------------------------------- interpolation

INTERPOLATION_CASES = [
    # (title as written, environment, title after interpolation)
    ("${A}", {"A": "set"}, "set"),
    ("${A:-fallback}", {}, "fallback"),
    ("${A:-fallback}", {"A": ""}, "fallback"),  # empty counts as unset, as in sh
    ("${A:-fallback}", {"A": "set"}, "set"),
    ("${A:-}", {}, ""),
    ("${A}", {"A": ""}, ""),  # set but empty, and no default: empty
    ("$${A}", {}, "${A}"),  # the escape
    ("$${A} and ${A}", {"A": "x"}, "${A} and x"),
    ("cost: $5, {x}, $ {A}", {}, "cost: $5, {x}, $ {A}"),  # other '$' stay literal
    ("${A}-${B:-b}-${C:-c:-d}", {"A": "a"}, "a-b-c:-d"),
]


@pytest.mark.parametrize(("written", "environ", "expected"), INTERPOLATION_CASES)
def test_interpolation(tmp_path: Path, written: str, environ: dict[str, str],
                       expected: str) -> None:
    path = write(tmp_path, f"""\
        receivers:
          noc:
            urls: ["log://"]
            title: '{written}'
        routes:
          - receivers: [noc]
        """)
    assert load_rules(path, environ).receivers["noc"].title == expected


def test_interpolation_in_urls(tmp_path: Path) -> None:
    path = write(tmp_path, """\
        receivers:
          noc:
            urls: ["${SCHEME:-json}://${HOST}/hook", "log://"]
        routes:
          - receivers: [noc]
        """)
    rules = load_rules(path, {"HOST": "127.0.0.1:9000"})
    assert rules.receivers["noc"].urls == ("json://127.0.0.1:9000/hook", "log://")


BAD_INTERPOLATION = [
    # (second URL as written, message); the problem is at line 5, column 9
    ('"${MISSING}"',
     "receivers.noc.urls[1]: undefined variable ${MISSING} "
     "(set it in the environment, or give a default: ${MISSING:-...})"),
    ('"${bad-name}"',
     "receivers.noc.urls[1]: invalid reference '${bad-name}' "
     "(expected ${NAME} or ${NAME:-default}, NAME made of letters, digits and _)"),
    ('"${OPEN"',
     "receivers.noc.urls[1]: unterminated '${' "
     "(close it with '}', or write '$${' for a literal '${')"),
]


@pytest.mark.parametrize(("written", "message"), BAD_INTERPOLATION)
def test_bad_interpolation_names_the_place(tmp_path: Path, written: str, message: str) -> None:
    path = write(tmp_path, f"""\
        receivers:
          noc:
            urls:
              - log://
              - {written}
        routes:
          - receivers: [noc]
        """)
    assert problems(path) == [(5, 9, message)]


def test_errors_never_show_an_interpolated_value(tmp_path: Path) -> None:
    path = write(tmp_path, """\
        receivers:
          noc:
            urls: ["${SECRET}"]
            title: "{{ ${SECRET}"
        routes:
          - receivers: ["${SECRET}"]
            match: {status: ["${SECRET}"]}
        """)
    found = problems(path, {"SECRET": "hunter2-token"})
    assert not any("hunter2" in message for _, _, message in found)
    assert found == [
        (3, 12, "receivers.noc.urls[0]: not an Apprise URL: expected scheme://... "
                "(for example log://)"),
        (4, 12, "receivers.noc.title: invalid Jinja2 template: "
                "details hidden, it uses <value of ${SECRET}> (template line 1)"),
        (6, 17, "routes[0].receivers[0]: undefined receiver <value of ${SECRET}> "
                "(defined: noc)"),
        (7, 22, "routes[0].match.status[0]: unknown status <value of ${SECRET}> "
                "(known: normal, anomaly, under_review, offline, config_issue, no_data, "
                "pending_retry)"),
    ]


# ---------------------------------------------------------------- bad files

BAD_FILES = [
    ("unknown key with a hint", """\
        receivers:
          noc: {urls: ["log://"]}
        routes:
          - match:
              tags: {anyy: [site-a]}
            receivers: [noc]
        """, [(5, 14, "routes[0].match.tags: unknown key 'anyy' (did you mean 'any'?)")]),
    ("continue spelt as the Python field", """\
        receivers:
          noc: {urls: ["log://"]}
        routes:
          - receivers: [noc]
            continue_: true
        """, [(5, 5, "routes[0]: unknown key 'continue_' (did you mean 'continue'?)")]),
    ("undefined receiver", """\
        receivers:
          noc: {urls: ["log://"]}
          site-a-oncall: {urls: ["log://"]}
        routes:
          - receivers: [noc]
            match: {status: offline}
          - receivers:
              - noc2
        """, [(8, 9, "routes[1].receivers[0]: undefined receiver 'noc2' "
                     "(did you mean 'noc'? defined: noc, site-a-oncall)")]),
    ("receiver with no urls", """\
        receivers:
          noc:
            title: "Camera problem"
        routes:
          - receivers: [noc]
        """, [(2, 3, "receivers.noc: no targets: give 'urls' (Apprise URLs) or 'urls_file'")]),
    ("empty urls list", """\
        receivers:
          noc:
            urls: []
        routes:
          - receivers: [noc]
        """, [(3, 11, "receivers.noc.urls: must list at least one Apprise URL (e.g. log://)")]),
    ("url given as a string, not a list", """\
        receivers:
          noc:
            urls: "log://"
        routes:
          - receivers: [noc]
        """, [(3, 11, "receivers.noc.urls: expected a list, got a string")]),
    ("continue is not a boolean", """\
        receivers:
          noc: {urls: ["log://"]}
        routes:
          - receivers: [noc]
            continue: "yes"
        """, [(5, 15, "routes[0].continue: expected true or false, got a string")]),
    ("empty receiver", """\
        receivers:
          noc:
        routes:
          - receivers: [noc]
        """, [(2, 3, "receivers.noc: expected a mapping, got nothing (null)")]),
    ("duplicate route name", """\
        receivers:
          noc: {urls: ["log://"]}
        routes:
          - name: offline
            match: {status: offline}
            receivers: [noc]
          - name: offline
            receivers: [noc]
        """, [(7, 11, "routes[1].name: duplicate route name 'offline' (first used by routes[0])")]),
    ("receiver listed twice in a route", """\
        receivers:
          noc: {urls: ["log://"]}
        routes:
          - receivers: [noc, noc]
        """, [(4, 22, "routes[0].receivers[1]: receiver 'noc' is listed twice")]),
    ("route without receivers", """\
        receivers:
          noc: {urls: ["log://"]}
        routes:
          - name: lonely
            receivers: []
        """, [(5, 16, "routes[0].receivers: must not be empty")]),
    ("YAML syntax error", """\
        receivers:
          noc: {urls: ["log://"]
        routes: []
        """, [(3, 1, "YAML syntax error: expected ',' or '}', but got '<scalar>' "
                     "(while parsing a flow mapping started at line 2)")]),
    ("duplicate YAML key", """\
        receivers:
          noc: {urls: ["log://"]}
        routes: []
        routes: []
        """, [(4, 1, "duplicate key 'routes' (a key may appear only once in a mapping)")]),
    ("top level is a list", """\
        - receivers: {}
        """, [(1, 1, "the top level must be a mapping with 'receivers' and 'routes', "
                     "got a list")]),
    ("empty file", """\
        # only a comment
        """, [(1, 1, "the file is empty: expected a mapping with 'receivers' and 'routes'")]),
    ("unknown status", """\
        receivers:
          noc: {urls: ["log://"]}
        routes:
          - match: {status: [Offline, ofline]}
            receivers: [noc]
        """, [(4, 31, "routes[0].match.status[1]: unknown status 'ofline' (did you mean "
                      "'offline'? known: normal, anomaly, under_review, offline, config_issue, "
                      "no_data, pending_retry)")]),
    ("matcher of the wrong type", """\
        receivers:
          noc: {urls: ["log://"]}
        routes:
          - match: {tags: site-a}
            receivers: [noc]
        """, [(4, 19, "routes[0].match.tags: expected a list or a mapping with any, all, "
                      "none, got a string")]),
    ("matcher with nothing in it", """\
        receivers:
          noc: {urls: ["log://"]}
        routes:
          - match: {anomalies: {}}
            receivers: [noc]
        """, [(4, 24, "routes[0].match.anomalies: give at least one of any, all, none, "
                      "min_score")]),
    ("non-string tag in the shorthand", """\
        receivers:
          noc: {urls: ["log://"]}
        routes:
          - match: {tags: [site-a, 7]}
            receivers: [noc]
        """, [(4, 28, "routes[0].match.tags[1]: expected a string, got a number")]),
    ("template syntax error", """\
        receivers:
          noc:
            urls: ["log://"]
            body: "{% if %}"
        routes:
          - receivers: [noc]
        """, [(4, 11, "receivers.noc.body: invalid Jinja2 template: Expected an expression, "
                      "got 'end of statement block' (template line 1)")]),
    ("no receivers and no routes", """\
        receivers: {}
        routes: []
        """, [(1, 12, "receivers: must not be empty"), (2, 9, "routes: must not be empty")]),
    ("missing sections", """\
        receivers:
          noc: {urls: ["log://"]}
        """, [(1, 1, "top level: missing required key 'routes'")]),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in BAD_FILES],
                         ids=[c[0] for c in BAD_FILES])
def test_bad_file(tmp_path: Path, text: str, expected: list[tuple[int, int, str]]) -> None:
    assert problems(write(tmp_path, text)) == expected


def test_unknown_key_without_a_close_match_lists_the_allowed_keys(tmp_path: Path) -> None:
    path = write(tmp_path, """\
        receivers:
          noc: {urls: ["log://"]}
        routes:
          - receivers: [noc]
        extras: []
        """)
    ((line, column, message),) = problems(path)
    assert (line, column) == (5, 1)
    head, _, allowed = message.partition(" (allowed: ")
    assert head == "top level: unknown key 'extras'"
    # Other engineers' sections (inhibit_rules...) may join the list.
    assert {"receivers", "routes", "defaults", "templates", "time_intervals", "sites"} <= \
        set(allowed.rstrip(")").split(", "))


def test_all_problems_are_reported_together_in_file_order(tmp_path: Path) -> None:
    path = write(tmp_path, """\
        receivers:
          noc: {urls: []}
        routes:
          - receivers: [nope]
            match: {status: [sleeping]}
          - receivers: [noc]
            contnue: true
        """)
    found = problems(path)
    assert [(line, column) for line, column, _ in found] == [(2, 15), (4, 17), (5, 22), (7, 5)]
    assert str(load_error(path)).splitlines()[1] == (
        f"{path}:4:17: routes[0].receivers[0]: undefined receiver 'nope' (defined: noc)"
    )


def load_error(path: Path) -> RulesError:
    with pytest.raises(RulesError) as caught:
        load_rules(path, {})
    return caught.value


def test_unreadable_file(tmp_path: Path) -> None:
    missing = tmp_path / "absent.yaml"
    assert problems(missing) == [(1, 1, "cannot read rules file: No such file or directory")]
    assert problems(tmp_path) == [(1, 1, "cannot read rules file: Is a directory")]


def test_file_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_bytes(b"receivers:\n  noc: {urls: ['log://\xff']}\n")
    assert problems(path) == [(2, 1, "not UTF-8 text")]


def test_fallback_and_inhibit_route_names_must_exist(tmp_path: Path) -> None:
    path = write(tmp_path, """\
        receivers:
          noc: {urls: ["log://"], fallback: [nco, noc]}
        routes:
          - name: offline
            receivers: [noc]
        inhibit_rules:
          - source: {status: offline}
            target: {status: offline}
            routes: [ofline]
        """)
    assert problems(path) == [
        (2, 38, "receivers.noc.fallback[0]: undefined receiver 'nco' "
                "(did you mean 'noc'? defined: noc)"),
        (2, 43, "receivers.noc.fallback[1]: receiver 'noc' cannot be its own fallback"),
        (9, 14, "inhibit_rules[0].routes[0]: undefined route 'ofline' "
                "(did you mean 'offline'? defined: offline)"),
    ]
