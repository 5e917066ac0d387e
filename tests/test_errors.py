"""The exception tree: every exception class of router/ lives in router.errors under RouterError."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import router
import router.errors as errors
from router.errors import RouterError


def _router_exceptions() -> dict[str, type[BaseException]]:
    found: dict[str, type[BaseException]] = {}
    for info in pkgutil.walk_packages(router.__path__, prefix="router."):
        if info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if issubclass(obj, BaseException) and obj.__module__.startswith("router"):
                found[f"{obj.__module__}.{obj.__qualname__}"] = obj
    return found


def test_every_router_exception_is_in_the_tree() -> None:
    outside = sorted(name for name, cls in _router_exceptions().items()
                     if not issubclass(cls, RouterError) or cls.__module__ != "router.errors")
    assert outside == []


def test_the_docstring_draws_every_class() -> None:
    doc = errors.__doc__ or ""
    missing = sorted(name for name, cls in vars(errors).items()
                     if inspect.isclass(cls) and issubclass(cls, BaseException)
                     and cls.__module__ == "router.errors" and name not in doc)
    assert missing == []
