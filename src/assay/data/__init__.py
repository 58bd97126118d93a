"""Corpus pipelines for training data: readers and writers, dedup, quality filters, PII, toxicity,
benchmark contamination; run embedded on local processes or unchanged on a Ray cluster.

>>> from assay.data import FileReader, NearDedup, PiiScrubber, Pipeline  # doctest: +SKIP
>>> stats = Pipeline(FileReader("corpus/"), [NearDedup(), PiiScrubber()], "clean/").run()  # doctest: +SKIP
"""

from __future__ import annotations

from assay.data.api import dedup, scan_contamination
from assay.data.config import load_pipeline
from assay.data.contamination import ContaminationIndex, ContaminationScan, load_contamination_report
from assay.data.dedup import ExactDedup, NearDedup, NearDupResult
from assay.data.document import Document
from assay.data.errors import DataPipelineError
from assay.data.executor_local import LocalExecutor
from assay.data.executor_ray import RayExecutor
from assay.data.filters_quality import C4Filter, GopherQualityFilter, GopherRepetitionFilter
from assay.data.minhash import MinHasher
from assay.data.pii import PiiScrubber
from assay.data.pipeline import Executor, GlobalStep, MapStep, Pipeline, Step
from assay.data.readers import FileReader, HFReader, Reader, Shard
from assay.data.stats import RunStats, StepStats, format_report, load_stats
from assay.data.toxicity import ToxicityFilter, toxicity_scores
from assay.data.writers import JsonlWriter, ParquetWriter, make_writer

__all__ = [
    "C4Filter",
    "ContaminationIndex",
    "ContaminationScan",
    "DataPipelineError",
    "Document",
    "ExactDedup",
    "Executor",
    "FileReader",
    "GlobalStep",
    "GopherQualityFilter",
    "GopherRepetitionFilter",
    "HFReader",
    "JsonlWriter",
    "LocalExecutor",
    "MapStep",
    "MinHasher",
    "NearDedup",
    "NearDupResult",
    "ParquetWriter",
    "PiiScrubber",
    "Pipeline",
    "RayExecutor",
    "Reader",
    "RunStats",
    "Shard",
    "Step",
    "StepStats",
    "ToxicityFilter",
    "dedup",
    "format_report",
    "load_contamination_report",
    "load_pipeline",
    "load_stats",
    "make_writer",
    "scan_contamination",
    "toxicity_scores",
]
