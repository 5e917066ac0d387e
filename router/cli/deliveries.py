"""``visionalert-router deliveries`` and ``replay``: dead letters and what was sent."""

from __future__ import annotations

import time

import click

from router.cli.store import open_store
from router.clock import iso
from router.store import deliveries as delivery_store
from router.store import views
from router.store.views.paging import Window


@click.command()
@click.option("--dead", is_flag=True, help="Only dead letters (same as --state dead).")
@click.option("--state", type=click.Choice(delivery_store.STATES), default=None)
@click.option("--limit", type=click.IntRange(1, 10_000), default=100, show_default=True)
def deliveries(dead: bool, state: str | None, limit: int) -> None:
    """List deliveries (newest first) and count them by state."""
    with open_store() as db:
        with db.read() as conn:
            page = views.list_deliveries(conn, "dead" if dead else state, Window(size=limit))
        counts = delivery_store.counts(db)
    for v in page.rows:
        click.echo(f"{v['id']}\t{v['state']}\t{v['attempts']}\t{v['receiver']}\t"
                   f"{v['target']}\t{iso(v['created_at'])}\t{v['last_error'] or ''}")
    click.echo(" ".join(f"{k}={n}" for k, n in counts.items()))


@click.command()
@click.argument("ids", type=int, nargs=-1)
@click.option("--all-dead", is_flag=True, help="Replay every dead letter.")
def replay(ids: tuple[int, ...], all_dead: bool) -> None:
    """Send dead letters again (fresh attempt budget)."""
    if bool(ids) == all_dead:
        raise click.UsageError("give delivery IDs or --all-dead")
    with open_store() as db:
        done = delivery_store.replay(db, ids=ids, all_dead=all_dead, now=time.time())
    missing = sorted(set(ids) - set(done))
    click.echo(f"replayed {len(done)}: {' '.join(map(str, done))}".rstrip(": "))
    if missing:
        raise click.ClickException(f"not dead letters (not replayed): "
                                   f"{' '.join(map(str, missing))}")
