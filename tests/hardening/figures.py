"""Figures the hardening tests report at the end of a run (hostile cases generated,
outages survived, fault-injection trials, duplicates and leaks found)."""

from __future__ import annotations

import os
from collections import Counter

FIGURES: Counter[str] = Counter()


def count(name: str, n: int = 1) -> None:
    FIGURES[name] += n


def scaled(examples: int) -> int:
    """`max_examples`, times $CFY_TUI_HARDENING_SCALE (default 1) for a longer hunt."""
    return max(1, round(examples * float(os.environ.get("CFY_TUI_HARDENING_SCALE", "1"))))
