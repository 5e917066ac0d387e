"""Templates cannot reach Python internals: every escape attempt is a security error."""

from __future__ import annotations

import pytest

from router.channels.render import render_for_target
from router.errors import RenderError
from router.rules.templates import TemplateSet, TemplateText
from tests.channels.golden.samples import SINGLE

ATTEMPTS = [
    "{{ ''.__class__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ event.__class__.__subclasses__() }}",
    "{{ ().__class__.__base__.__subclasses__() }}",
    "{{ config }}",
    "{{ config.items() }}",
    "{{ config['SECRET_KEY'] }}",
    "{% for k in config %}{{ k }}{% endfor %}",
    "{{ request }}",
    "{{ request.environ }}",
    "{{ request.application.__globals__ }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    "{{ joiner.__init__.__globals__ }}",
    "{{ lipsum.__globals__ }}",
    "{{ self.__init__.__globals__ }}",
    "{{ events.__class__ }}",
    "{{ (event.name|attr('__class__')) }}",
]


@pytest.mark.parametrize("source", ATTEMPTS)
@pytest.mark.parametrize("part", ["title", "body", "html"])
def test_escape_attempts_are_stopped_by_the_sandbox(source: str, part: str) -> None:
    template = TemplateSet("evil", default=TemplateText(**{part: source}))
    url = "mailto://a@example.com" if part == "html" else "json://hooks.example.com/x"
    rendered = render_for_target(url, [SINGLE], receiver="r", route="x", template=template)
    # The alert still goes out with the default text; the note says why.
    [note] = rendered.notes
    assert "stopped by the sandbox (security)" in note, note
    assert "uid=" not in rendered.body


def test_the_security_error_is_a_render_error_at_check_time() -> None:
    from router.channels.render import template_errors

    errors = template_errors(TemplateSet("evil", default=TemplateText(body="{{ config }}")),
                             [SINGLE])
    assert len(errors) == 5
    assert all("'config' is not available to templates" in e for e in errors)
    assert issubclass(RenderError, Exception)
