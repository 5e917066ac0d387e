"""Render cost per message per family (µs): one camera, and a 500-camera group.

    .venv/bin/python tests/bench/render.py [--repeat N]

Renders with the default templates, in process, no I/O. Prints the median of
N timed runs (after warm-up, so compiled templates are cached as in service).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from router.channels.render import render_for_target
from tests.channels.golden.samples import AT, EXTERNAL, SINGLE, group

URLS = {
    "generic": "json://hooks.example.com/x",
    "slack": "slack://T1ABCDEFG/B2HIJKLMN/abcdefghijklmnop/#oncall",
    "slack blocks": "slack://T1ABCDEFG/B2HIJKLMN/abcdefghijklmnop/#oncall?blocks=yes",
    "teams": "workflows://example.logic.azure.com/wf/sig",
    "email": "mailto://u:p@example.com?to=a@example.com",
    "sms": "twilio://AC1:tok@+15550001111/+15550002222",
}


def _median_us(url: str, events: list, repeat: int) -> float:  # type: ignore[type-arg]
    def once() -> None:
        render_for_target(url, events, receiver="oncall", route="night", external_url=EXTERNAL,
                          timezone="Europe/Berlin", at=AT, now=AT)

    for _ in range(3):
        once()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        once()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    big = group(500)
    print(f"{'family':<14}{'1 camera (µs)':>16}{'500 cameras (µs)':>19}{'ratio':>8}")
    for family, url in URLS.items():
        one = _median_us(url, [SINGLE], args.repeat)
        many = _median_us(url, big, max(args.repeat // 4, 10))
        print(f"{family:<14}{one:>16.0f}{many:>19.0f}{many / one:>8.1f}")


if __name__ == "__main__":
    main()
