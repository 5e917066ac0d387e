"""Routing rules: load and validate rules.yaml, route camera events to receivers.

    rules = load_rules("rules.yaml")          # RulesError lists file:line:col problems
    decision = route_event(rules, event)      # matches + the steps that explain them
"""

from router.rules.loader import load_rules
from router.rules.models import Receiver, Route, RouteOptions, Rules
from router.rules.routing import RouteMatch, RouteStep, RoutingDecision, route_event

__all__ = [
    "Receiver",
    "Route",
    "RouteMatch",
    "RouteOptions",
    "RouteStep",
    "RoutingDecision",
    "Rules",
    "load_rules",
    "route_event",
]
