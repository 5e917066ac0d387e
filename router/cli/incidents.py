"""``visionalert-router incidents list|show|ack``.

They work on the store named by ``ROUTER_DATABASE_URL`` directly, so they need no
running router; ``ack`` goes through the same acknowledgement as the API and the
dashboard (so it needs the rules, for the routes that announce acknowledgements).
"""

from __future__ import annotations

import getpass
import json
import time
from typing import Any

import click

from router.cli.store import open_runtime, open_store
from router.clock import iso
from router.errors import IncidentNotFound, Refused
from router.store import views
from router.store.views.paging import Window


def _json(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, default=str)


def _duration(seconds: float) -> str:
    s = int(seconds)
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    if s < 86400:
        return f"{s // 3600}h{s % 3600 // 60:02d}m"
    return f"{s // 86400}d{s % 86400 // 3600:02d}h"


@click.group()
def incidents() -> None:
    """Camera problems from their first event to their resolution."""


@incidents.command("list")
@click.option("--state", type=click.Choice(views.INCIDENT_STATES), default=None,
              help="Only this state [all].")
@click.option("--license", "license_code", default=None, help="Only this license.")
@click.option("--camera", default=None, help="Only this camera (serial).")
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="JSON, one object per incident.")
def incidents_list(state: str | None, license_code: str | None, camera: str | None,
                   limit: int, as_json: bool) -> None:
    """List incidents, newest first."""
    now = time.time()
    with open_store() as db, db.read() as conn:
        page = views.list_incidents(conn, state=state, license=license_code, tag=None,
                                    camera=camera, start=None, end=None,
                                    window=Window(size=limit), now=now)
    if as_json:
        click.echo(_json(page.rows))
        return
    for r in page.rows:
        click.echo(f"{r['id']}\t{r['state']}\t{iso(r['opened_at'])}\t"
                   f"{_duration(r['duration'])}\t{r['license']}\t{r['serial']}\t"
                   f"{r['name']}\t{r['condition']}")
    if not page.rows:
        click.echo(f"no {state} incidents" if state else "no incidents")


@incidents.command("show")
@click.argument("incident_id", type=click.IntRange(0, 2**63 - 1))
@click.option("--json", "as_json", is_flag=True, help="The incident and timeline as JSON.")
def incidents_show(incident_id: int, as_json: bool) -> None:
    """One incident and its timeline (UTC times)."""
    with open_store() as db, db.read() as conn:
        found = views.incident_detail(conn, incident_id, now=time.time())
    if found is None:
        raise click.ClickException(f"no incident {incident_id}")
    if as_json:
        click.echo(_json(found))
        return
    click.echo(f"incident {found['id']}: {found['state']} - {found['name']} "
               f"({found['serial']}, license {found['license']}) {found['condition']}")
    click.echo(f"opened {iso(found['opened_at'])}, {found['events']} event(s), "
               f"last {iso(found['last_event_at'])}, duration {_duration(found['duration'])}")
    if found.get("acked_at") is not None:
        click.echo(f"acknowledged {iso(found['acked_at'])} by {found['acked_by']}"
                   + (f": {found['ack_comment']}" if found.get("ack_comment") else ""))
    if found.get("resolved_at") is not None:
        click.echo(f"resolved {iso(found['resolved_at'])} ({found['resolution']}): "
                   f"{found.get('resolution_detail') or ''}".rstrip(": "))
    click.echo("timeline:")
    for line in found["timeline"]:
        extra = "".join(f" [{k} {line[k]}]" for k in ("receiver", "notification_id")
                        if line.get(k) is not None)
        click.echo(f"  {iso(line['at'])}  {line['kind']:<20} {line['detail']}{extra}")


@incidents.command("ack")
@click.argument("incident_id", type=click.IntRange(0, 2**63 - 1))
@click.option("--by", default=None, help="Who is on it [the current user].")
@click.option("--comment", default="", help="What is being done.")
def incidents_ack(incident_id: int, by: str | None, comment: str) -> None:
    """Acknowledge an incident: someone is on it, no more reminders."""
    from router.pipeline.acknowledge import acknowledge

    with open_runtime() as rt:
        try:
            done = acknowledge(rt, incident_id, by=by or getpass.getuser(), comment=comment)
        except (IncidentNotFound, Refused) as exc:
            raise click.ClickException(str(exc)) from None
    if done.already:
        click.echo(f"incident {incident_id} was already acknowledged by {done.by} "
                   f"at {iso(done.acked_at)}")
    else:
        click.echo(f"incident {incident_id} acknowledged by {done.by}"
                   + (f" ({done.told} notification(s) queued)" if done.told else ""))
