"""The alignment suite: `truthfulqa_mc`, `sycophancy`, `calibration`. Importing this package registers them.

>>> from assay import evaluate
>>> evaluate("truthfulqa_mc", model="hf/smollm2", limit=30)   # doctest: +SKIP
"""

from __future__ import annotations

from assay.suites.alignment.calibration import calibration
from assay.suites.alignment.sycophancy import sycophancy
from assay.suites.alignment.truthfulqa import truthfulqa_mc

__all__ = ["SUITE", "calibration", "sycophancy", "truthfulqa_mc"]

SUITE = ["truthfulqa_mc", "sycophancy", "calibration"]
"""Tasks of `assay run alignment` (sycophancy and calibration on their default base, mmlu)."""
