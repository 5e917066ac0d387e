"""``visionalert-router silence add|list|expire``.

They work on the store named by ``ROUTER_DATABASE_URL`` directly, so they need
no running router and act on every worker at once.
"""

from __future__ import annotations

import getpass
import json
import time
from typing import Any

import click

from router.cli.store import open_store
from router.clock import iso, parse_span, parse_time
from router.errors import MatchError, SilenceNotFound, TimeInputError
from router.pipeline.flush import silence as silencing
from router.store import silences as silence_store


def parse_matches(pairs: tuple[str, ...], raw: str | None) -> dict[str, Any]:
    """``status=offline`` ``tags=site-a,site-b`` (any of) and/or a JSON ``match:`` mapping."""
    found: dict[str, Any] = {}
    if raw:
        try:
            found = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise click.BadParameter(f"not JSON: {exc.msg}", param_hint="--matchers") from None
        if not isinstance(found, dict):
            raise click.BadParameter("expected a JSON object", param_hint="--matchers")
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise click.BadParameter(f"{pair!r}: write KEY=VALUE[,VALUE...], e.g. "
                                     "status=offline", param_hint="--match")
        values = [v.strip() for v in value.split(",") if v.strip()]
        found[key.strip()] = (values[0].lower() == "true") if key.strip() == "enriched" \
            else values
    if not found:
        raise click.UsageError("give at least one --match KEY=VALUE (or --matchers JSON)")
    return found


@click.group()
def silence() -> None:
    """Mute matching camera events for a while (Alertmanager-style silences)."""


@silence.command("add")
@click.option("--match", "pairs", multiple=True, metavar="KEY=VALUE[,VALUE]",
              help="A matcher of routes' match: (tags, anomalies, status, camera, license, "
                   "enriched); repeat for AND.")
@click.option("--matchers", "raw", default=None, help="A full match: mapping as JSON.")
@click.option("--duration", default=None, help="How long, e.g. 2h, 30m, 1d [default 1h].")
@click.option("--ends-at", default=None, help="End time, ISO 8601 (instead of --duration).")
@click.option("--starts-at", default=None, help="Start time, ISO 8601 [now].")
@click.option("--author", default=None, help="Who [the current user].")
@click.option("--comment", required=True, help="Why (shown with every silenced event).")
def silence_add(pairs: tuple[str, ...], raw: str | None, duration: str | None,
                ends_at: str | None, starts_at: str | None, author: str | None,
                comment: str) -> None:
    """Create a silence; prints its id."""
    matchers = parse_matches(pairs, raw)
    now = time.time()
    try:
        starts = parse_time(starts_at, name="--starts-at") if starts_at else now
        if ends_at and duration:
            raise TimeInputError("give --duration or --ends-at, not both")
        ends = (parse_time(ends_at, name="--ends-at") if ends_at
                else starts + parse_span(duration or "1h", name="--duration"))
        with open_store() as db:
            row = silencing.create(db, matchers=matchers, starts_at=starts, ends_at=ends,
                                       author=author or getpass.getuser(), comment=comment,
                                       now=now)
    except (TimeInputError, MatchError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"silence {row.id} {row.state(now)} until {iso(row.ends_at)}")


@silence.command("list")
@click.option("--state", type=click.Choice(["active", "pending", "expired", "all"]),
              default="active", show_default=True)
def silence_list(state: str) -> None:
    """List silences."""
    now = time.time()
    with open_store() as db:
        rows = silence_store.list_all(db, now=now, state=state)
    for r in rows:
        click.echo(f"{r.id}\t{r.state(now)}\t{iso(r.starts_at)}\t{iso(r.ends_at)}\t"
                   f"{r.author}\t{json.dumps(r.matchers, sort_keys=True)}\t{r.comment}")
    if not rows:
        click.echo(f"no {state} silences" if state != "all" else "no silences")


@silence.command("expire")
@click.argument("silence_id", type=int)
def silence_expire(silence_id: int) -> None:
    """End a silence now."""
    now = time.time()
    with open_store() as db:
        try:
            row = silence_store.expire(db, silence_id, now=now)
        except SilenceNotFound as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"silence {row.id} {row.state(now)} since {iso(row.ends_at)}")
