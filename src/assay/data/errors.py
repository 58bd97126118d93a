"""`DataPipelineError`: what went wrong in a corpus pipeline, in which file and line, and how to fix it."""

from __future__ import annotations

from assay.errors import AssayError


class DataPipelineError(AssayError):
    """A corpus, a pipeline configuration or an output directory is invalid.

    `where` names the file (and line or row where one applies), so a user can open it.
    """

    def __reduce__(self) -> tuple[object, ...]:
        # keep what/where/fix when the error crosses a process boundary (process pool, Ray)
        return (_rebuild, (type(self), self.what, self.where, self.fix))


def _rebuild(cls: type[DataPipelineError], what: str, where: str | None, fix: str | None) -> DataPipelineError:
    return cls(what, where=where, fix=fix)
