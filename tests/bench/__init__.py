"""Benchmarks: standalone scripts run by ``make bench``, never collected by pytest.

Files here are deliberately not named ``test_*.py``; run one as
``.venv/bin/python tests/bench/ingest.py``.
"""
