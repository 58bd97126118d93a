"""A bundled slice of MMLU (Hendrycks et al., 2021): 200 real test questions from 5 subjects.

Small enough to ship and to run in seconds, real enough for demos and end-to-end tests.
The full benchmark loads through `assay.core.dataset.hf_dataset("cais/mmlu", ...)` on a
machine with a network. Licence and provenance: README.md and LICENSE beside this file.

    >>> samples = mmlu_samples(["anatomy"])
    >>> len(samples), samples[0].cluster
    (40, 'anatomy')
"""

from __future__ import annotations

from collections.abc import Iterable

from assay.core.dataset import records_dataset
from assay.core.sample import Sample
from assay.suites.bundled import bundled_rows, selected_names

__all__ = ["MMLU_SUBJECTS", "mmlu_samples"]

DATA_FILE = "mmlu_slice.jsonl"
MMLU_SUBJECTS = ("abstract_algebra", "anatomy", "computer_security", "high_school_geography", "philosophy")
_FIELDS = {"input": "question", "target": "answer", "choices": "choices", "id": "id"}


def mmlu_samples(subjects: Iterable[str] | None = None) -> list[Sample]:
    """The bundled MMLU questions, optionally only some subjects; `metadata["subject"]` is the subject.

    Subjects are named as in MMLU ("high_school_geography"; spaces work too). Each sample's
    target is the answer letter and `metadata["subject"]` the subject, for templates such as
    "The following are multiple choice questions (with answers) about {{ subject }}.".
    """
    wanted: set[str] | None = None
    if subjects is not None:
        wanted = selected_names(
            subjects,
            MMLU_SUBJECTS,
            what="the bundled MMLU slice has no subject",
            where=f"assay.suites.mmlu/{DATA_FILE}",
            normalize=lambda s: s.strip().lower().replace(" ", "_"),
            fix_note=" (the full MMLU loads with hf_dataset('cais/mmlu', ...))",
        )
    rows = bundled_rows(__package__, DATA_FILE)
    if wanted is not None:
        rows = [r for r in rows if r["subject"] in wanted]
    # The subject stays in metadata (templates, per-subject results). It is a stratum, not a cluster:
    # questions are drawn within every subject, so it does not enter the standard errors.
    return records_dataset(rows, _FIELDS)
