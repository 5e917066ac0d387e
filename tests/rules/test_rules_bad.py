"""Bad rules files of the rich language: each one gives its exact message at its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.rules import problems

HEAD = 'receivers:\n  noc: {urls: ["log://"]}\n'
SANDBOX = "; templates and 'when' run in a sandbox"

BAD = [
    # (id, file text, [(line, column, message)])
    ("unknown group_by field", HEAD + "routes:\n  - receivers: [noc]\n"
     "    group_by: [license, sites]\n",
     [(5, 25, "routes[0].group_by[1]: unknown group_by field 'sites' (did you mean 'site'? "
              "known: license, tag, site, status, anomaly, camera)")]),
    ("bad duration", HEAD + "routes:\n  - receivers: [noc]\n    group_wait: 5 minutes\n",
     [(5, 17, "routes[0].group_wait: invalid duration '5 minutes' "
              "(write 30s, 5m, 4h, 1d, 1h30m, or seconds)")]),
    ("negative duration in defaults", HEAD + "defaults:\n  repeat_interval: -5\n"
     "routes:\n  - receivers: [noc]\n",
     [(4, 20, "defaults.repeat_interval: a duration cannot be negative")]),
    ("misspelt timezone", HEAD + "defaults:\n  timezone: Europe/Berlinn\n"
     "routes:\n  - receivers: [noc]\n",
     [(4, 13, "defaults.timezone: unknown timezone 'Europe/Berlinn' "
              "(did you mean 'Europe/Berlin'?)")]),
    ("site with an unknown timezone", HEAD + "sites:\n  site-a: Mars/Olympus\n"
     "routes:\n  - receivers: [noc]\n",
     [(4, 11, "sites.site-a: unknown timezone 'Mars/Olympus' "
              "(use an IANA name: Europe/Berlin)")]),
    ("regex that does not compile", HEAD + "routes:\n  - receivers: [noc]\n    match:\n"
     "      camera: ['re:Q2GV-(']\n",
     [(6, 15, "routes[0].match.camera: invalid regular expression 're:Q2GV-(': missing ), "
              "unterminated subpattern at position 5")]),
    ("undefined template", HEAD.replace('"log://"]}', '"log://"], template: shortt}')
     + "templates:\n  short: {title: x}\nroutes:\n  - receivers: [noc]\n",
     [(2, 37, "receivers.noc.template: undefined template 'shortt' "
              "(did you mean 'short'? defined: short)")]),
    ("undefined template, none defined", HEAD + "routes:\n  - receivers: [noc]\n"
     "    template: short\n",
     [(5, 15, "routes[0].template: undefined template 'short' (no templates are defined)")]),
    ("undefined time interval", HEAD + "time_intervals:\n  night: {times: ['22:00-06:00']}\n"
     "routes:\n  - receivers: [noc]\n    match: {time: nigth}\n",
     [(7, 19, "routes[0].match.time: undefined time interval 'nigth' "
              "(did you mean 'night'? defined: night)")]),
    ("route after a catch-all", HEAD + "routes:\n  - name: all\n    receivers: [noc]\n"
     "  - name: offline\n    match: {status: offline}\n    receivers: [noc]\n",
     [(6, 5, "routes[1]: unreachable: routes[0] ('all') above it matches every event and "
             "does not continue (move this route up, or give that one a match or "
             "'continue: true')")]),
    ("child route after a catch-all child", HEAD + "routes:\n  - receivers: [noc]\n"
     "    routes:\n      - {}\n      - match: {tags: [a]}\n",
     [(7, 9, "routes[0].routes[1]: unreachable: routes[0].routes[0] above it matches every "
             "event and does not continue (move this route up, or give that one a match or "
             "'continue: true')")]),
    ("routes without receivers anywhere", HEAD + "routes:\n  - name: parent\n"
     "    match: {status: offline}\n    routes:\n      - match: {tags: [a]}\n",
     [(4, 5, "routes[0]: no receivers: list them here or on a parent route"),
      (7, 9, "routes[0].routes[0]: no receivers: list them here or on a parent route")]),
    ("duplicate route name across levels", HEAD + "routes:\n  - name: a\n"
     "    receivers: [noc]\n    match: {tags: [x]}\n    routes:\n      - name: a\n"
     "        match: {status: offline}\n",
     [(8, 15, "routes[0].routes[0].name: duplicate route name 'a' (first used by routes[0])")]),
    ("missing template file", HEAD + "templates:\n  short:\n"
     "    body_file: templates/missing.j2\nroutes:\n  - receivers: [noc]\n",
     [(5, 16, "templates.short.body_file: cannot read template file 'templates/missing.j2' "
              "(relative to the rules file): No such file or directory")]),
    ("inline and file", HEAD + "templates:\n  short:\n    title: x\n    title_file: t.j2\n"
     "routes:\n  - receivers: [noc]\n",
     [(4, 3, "templates.short: give either title or title_file, not both")]),
    ("when reaching for __mro__", HEAD + "routes:\n  - receivers: [noc]\n    match:\n"
     "      when: \"event.__class__.__mro__\"\n",
     [(6, 13, "routes[0].match.when: security: attribute '__mro__' is not allowed "
              "(it reaches Python internals)" + SANDBOX)]),
    ("template reaching for config", 'receivers:\n  noc:\n    urls: ["log://"]\n'
     '    title: "{{ config.items() }}"\nroutes:\n  - receivers: [noc]\n',
     [(4, 12, "receivers.noc.title: security: 'config' is not allowed" + SANDBOX)]),
    ("when that is not an expression", HEAD + "routes:\n  - receivers: [noc]\n    match:\n"
     "      when: \"tags contains 'a'\"\n",
     [(6, 13, "routes[0].match.when: invalid expression: unexpected text after the "
              "expression")]),
    ("bad day range", HEAD + "routes:\n  - receivers: [noc]\n    match:\n"
     "      time: {days: [mon-fryday]}\n",
     [(6, 21, "routes[0].match.time.days[0]: unknown day 'mon-fryday' "
              "(write mon..sun, full names, or a range like mon-fri)")]),
    ("bad time range", HEAD + "routes:\n  - receivers: [noc]\n    match:\n"
     "      time: {times: ['8:00-18:00']}\n",
     [(6, 22, "routes[0].match.time.times[0]: invalid time range '8:00-18:00' "
              "(write HH:MM-HH:MM, e.g. 22:00-06:00)")]),
    ("window with neither days nor times", HEAD + "routes:\n  - receivers: [noc]\n"
     "    match:\n      time: {timezone: UTC}\n",
     [(6, 7, "routes[0].match.time: give days, times or both")]),
    ("score given as percent", HEAD + "routes:\n  - receivers: [noc]\n    match:\n"
     "      anomalies: {any: [Blur], min_score: 80}\n",
     [(6, 43, "routes[0].match.anomalies.min_score: a score is from 0 to 1 (0.8 means 80%)")]),
    ("missing urls_file", 'receivers:\n  noc:\n    urls_file: secrets/noc-urls\n'
     'routes:\n  - receivers: [noc]\n',
     [(3, 16, "receivers.noc.urls_file: cannot read urls_file 'secrets/noc-urls' "
              "(relative to the rules file): No such file or directory")]),
    ("template and title on a receiver", 'templates:\n  t: {title: x}\nreceivers:\n  noc:\n'
     '    urls: ["log://"]\n    template: t\n    title: y\nroutes:\n  - receivers: [noc]\n',
     [(4, 3, "receivers.noc: give either 'template' or 'title'/'body', not both")]),
    ("html outside e-mail", HEAD + "templates:\n  t:\n    slack: {html: '<b>x</b>'}\n"
     "routes:\n  - receivers: [noc]\n",
     [(5, 13, "templates.t.slack: unknown key 'html' "
              "(allowed: title, body, title_file, body_file)")]),
    ("unknown matcher under not", HEAD + "routes:\n  - receivers: [noc]\n    match:\n"
     "      not: {tag: [a]}\n",
     [(6, 13, "routes[0].match.not: unknown key 'tag' (did you mean 'tags'?)")]),
    ("misspelt timing option", HEAD + "routes:\n  - receivers: [noc]\n    group_wiat: 5s\n",
     [(5, 5, "routes[0]: unknown key 'group_wiat' (did you mean 'group_wait'?)")]),
    ("send_resolved not a boolean", HEAD + "routes:\n  - receivers: [noc]\n"
     "    send_resolved: yes please\n",
     [(5, 20, "routes[0].send_resolved: expected true or false, got a string")]),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in BAD], ids=[c[0] for c in BAD])
def test_bad_file(tmp_path: Path, text: str, expected: list[tuple[int, int, str]]) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(text)
    assert problems(path) == expected


def test_at_least_fifteen_distinct_bad_files() -> None:
    assert len({c[1] for c in BAD}) >= 15


def test_urls_file_never_quotes_a_bad_line(tmp_path: Path) -> None:
    (tmp_path / "urls").write_text("# comment\nlog://\nhunter2-token-without-scheme\n")
    path = tmp_path / "rules.yaml"
    path.write_text('receivers:\n  noc: {urls_file: urls}\nroutes:\n  - receivers: [noc]\n')
    assert problems(path) == [(2, 20, "receivers.noc.urls_file: urls_file 'urls': entry 2 is "
                                      "not an Apprise URL (expected scheme://...)")]
