"""templates: inline and from files, per-family overrides, receiver and route references."""

from __future__ import annotations

from pathlib import Path

from router.rules import load_rules
from router.rules.templates import TemplateSet, TemplateText
from tests.support.rules import write

RULES = """\
    templates:
      full:
        title: "{{ event.name }}"
        body_file: templates/body.j2
        html_file: templates/mail.html.j2
        sms: {body: "{{ event.serial }}"}
        email: {title_file: templates/mail-title.j2}
    receivers:
      noc: {urls: ["log://"], template: full}
      inline:
        urls: ["log://"]
        template: {title: "inline {{ count }}", teams: {body: "card"}}
      short:
        urls: ["log://"]
        title: "short {{ event.name }}"
      secret: {urls_file: noc-urls}
    routes:
      - match: {status: offline}
        receivers: [noc]
        template: full
        routes:
          - match: {tags: [a]}
            receivers: [inline]
      - receivers: [short, secret]
    """


def setup(tmp_path: Path) -> Path:
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "body.j2").write_text("body of {{ event.name }}\n")
    (tmp_path / "templates" / "mail.html.j2").write_text("<p>{{ event.name }}</p>\n")
    (tmp_path / "templates" / "mail-title.j2").write_text("Mail: {{ event.name }}")
    (tmp_path / "noc-urls").write_text("# one per line\njson://127.0.0.1:9/a\n\nlog://\n")
    return write(tmp_path, RULES)


def test_named_template_from_files_with_family_overrides(tmp_path: Path) -> None:
    rules = load_rules(setup(tmp_path), {})
    full = rules.templates["full"]
    assert full.default == TemplateText(title="{{ event.name }}",
                                        body="body of {{ event.name }}\n",
                                        html="<p>{{ event.name }}</p>\n")
    assert full.for_family("sms") == TemplateText("{{ event.name }}", "{{ event.serial }}",
                                                  "<p>{{ event.name }}</p>\n")
    assert full.for_family("email").title == "Mail: {{ event.name }}"
    assert full.for_family("slack") == full.default


def test_receivers_reference_inline_and_shorthand(tmp_path: Path) -> None:
    rules = load_rules(setup(tmp_path), {})
    noc, inline, short = (rules.receivers[n] for n in ("noc", "inline", "short"))
    assert noc.template is rules.templates["full"]
    # title/body keep carrying the default texts, for callers that render one text.
    assert (noc.title, noc.body) == ("{{ event.name }}", "body of {{ event.name }}\n")
    assert inline.template == TemplateSet("inline", TemplateText(title="inline {{ count }}"),
                                          {"teams": TemplateText(body="card")})
    assert short.template == TemplateSet("short", TemplateText(title="short {{ event.name }}"))
    assert short.title == "short {{ event.name }}"


def test_route_template_is_inherited(tmp_path: Path) -> None:
    rules = load_rules(setup(tmp_path), {})
    parent, child, rest = rules.walk()
    assert parent.options.template is rules.templates["full"]
    assert child.options.template is rules.templates["full"]
    assert rest.options.template is None


def test_urls_file_and_the_files_read(tmp_path: Path) -> None:
    rules = load_rules(setup(tmp_path), {})
    assert rules.receivers["secret"].urls == ("json://127.0.0.1:9/a", "log://")
    assert "127.0.0.1" not in repr(rules.receivers["secret"])
    assert set(rules.files) == {tmp_path / "rules.yaml", tmp_path / "noc-urls",
                                *(tmp_path / "templates").iterdir()}
    assert rules.files[0] == tmp_path / "rules.yaml"
