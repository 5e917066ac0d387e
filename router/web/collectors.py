"""Gauges read at scrape time: the shared store's queues and this process's rules."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from router.errors import StoreError
from router.store.db import Database
from router.store.stats import queue_stats


class StoreCollector(Collector):
    """Queue gauges read from the shared store at scrape time."""

    def __init__(self, db: Database, now: Callable[[], float]) -> None:
        self._db, self._now = db, now

    def collect(self) -> Iterator[GaugeMetricFamily]:
        up = GaugeMetricFamily("router_store_up", "1 if the store answered this scrape.")
        try:
            stats = queue_stats(self._db)
        except StoreError:
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        oldest = stats.oldest_pending_at
        age = max(0.0, self._now() - oldest) if oldest is not None else 0.0
        yield from (
            GaugeMetricFamily("router_inbox_depth", "Alerts waiting to be routed.",
                              value=stats.inbox_pending),
            GaugeMetricFamily("router_inbox_oldest_pending_age_seconds",
                              "Age of the oldest alert waiting to be routed (0 if none).",
                              value=age),
            GaugeMetricFamily("router_deliveries_pending",
                              "Deliveries waiting for a first attempt or a retry.",
                              value=stats.deliveries_pending),
            GaugeMetricFamily("router_dead_letters",
                              "Deliveries given up on (dead letters) in the store.",
                              value=stats.dead_letters),
        )
        incidents = GaugeMetricFamily("router_incidents_open",
                                      "Incidents not resolved yet, by state.", labels=["state"])
        incidents.add_metric(["open"], stats.incidents_open)
        incidents.add_metric(["acknowledged"], stats.incidents_acknowledged)
        yield incidents
        checked = stats.tracker_checked_at
        yield GaugeMetricFamily(
            "router_tracker_lag_seconds",
            "Age of the oldest license's last good state tracker round (-1: never ran).",
            value=max(0.0, self._now() - checked) if checked is not None else -1.0)


class ConfigCollector(Collector):
    """Rules reload status of the scraped process, as Alertmanager names it."""

    def __init__(self, status: Callable[[], tuple[bool, float]]) -> None:
        self._status = status

    def collect(self) -> Iterator[GaugeMetricFamily]:
        ok, at = self._status()
        yield GaugeMetricFamily("router_config_last_reload_successful",
                                "1 if the last rules (re)load succeeded.", value=1 if ok else 0)
        yield GaugeMetricFamily("router_config_last_reload_success_timestamp_seconds",
                                "When the rules were last loaded successfully.", value=at)
