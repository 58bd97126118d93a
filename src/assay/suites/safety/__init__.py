"""The safety suite: `xstest`, `harmful`, `jailbreak` (and `xstest_validation` for judges).

Importing this package registers the tasks. `SUITE` lists the tasks `assay run safety` runs.

>>> from assay.suites.safety import validate_refusal_classifier
>>> print(validate_refusal_classifier().summary())    # doctest: +SKIP
"""

from __future__ import annotations

from assay.suites.safety.harmful import harmful
from assay.suites.safety.jailbreak import jailbreak
from assay.suites.safety.validation import ClassifierValidation, validate_refusal_classifier
from assay.suites.safety.xstest import xstest, xstest_validation

__all__ = [
    "SUITE",
    "ClassifierValidation",
    "harmful",
    "jailbreak",
    "validate_refusal_classifier",
    "xstest",
    "xstest_validation",
]

SUITE = ["xstest", "harmful", "jailbreak"]
"""Tasks of `assay run safety`. With `--judge`, the suite also runs `xstest_validation` to measure the judge
against human labels (see `assay.suites.registry`)."""
