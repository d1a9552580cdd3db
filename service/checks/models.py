"""The checker's schema: what a check is asked (``CheckRequest``), what it answers
(``CheckReport``: the API response and ``provgraph check --json``) and the per-record
``--details`` lines (``FlaggedRecord``)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = [
    "Boilerplate",
    "CheckFinding",
    "CheckJob",
    "CheckReport",
    "CheckRequest",
    "CheckSummary",
    "DataInput",
    "Divergence",
    "FlagKind",
    "FlaggedRecord",
    "FormatErrors",
    "InputFormat",
    "Matches",
    "Thresholds",
]

InputFormat = Literal["auto", "jsonl", "csv", "parquet", "hf"]
FlagKind = Literal[
    "exact_duplicate", "near_duplicate", "ngram_overlap", "format_error", "boilerplate"
]
FormatErrorKind = Literal["unparseable", "empty", "truncated", "encoding", "schema"]

_STRICT = ConfigDict(extra="forbid")


class DataInput(BaseModel):
    """One file (or `save_to_disk` directory) and the graph artifact it is, if any."""

    model_config = _STRICT

    path: str = Field(description="JSONL, CSV, Parquet file or Hugging Face save_to_disk dir")
    id: str | None = Field(default=None, description="the dataset's artifact id in the graph")
    format: InputFormat = "auto"


class Thresholds(BaseModel):
    """Rates (0..1) above which a check raises a finding (and an alert when recorded)."""

    model_config = _STRICT

    ngram_overlap: float = Field(
        default=0.01, ge=0, le=1, description="share of records with a reference n-gram (error)"
    )
    exact_duplicates_reference: float = Field(default=0.01, ge=0, le=1)
    near_duplicates_reference: float = Field(default=0.01, ge=0, le=1)
    duplicates_within: float = Field(
        default=0.10, ge=0, le=1, description="exact + near duplicates inside the dataset"
    )
    format_errors: float = Field(default=0.01, ge=0, le=1)
    boilerplate: float = Field(default=0.01, ge=0, le=1)
    divergence: float = Field(
        default=0.2,
        ge=0,
        le=1,
        description="Jensen-Shannon divergence (base 2) of either "
        "the length or the vocabulary distribution",
    )


class CheckRequest(BaseModel):
    """Everything a check needs: the body of `POST /api/v1/checks`."""

    model_config = _STRICT

    dataset: DataInput
    references: list[DataInput] = Field(default_factory=list, max_length=32)
    text_field: str | None = Field(
        default=None, description="field holding the text (default: 'text' if present)"
    )
    template: str | None = Field(
        default=None, description="joins several fields, e.g. '{instruction}\\n{output}'"
    )
    ngram: int = Field(default=13, ge=3, le=64, description="n of the contamination n-grams")
    shingle: int = Field(default=5, ge=1, le=32, description="words per MinHash shingle")
    jaccard: float = Field(default=0.8, gt=0, le=1, description="near-duplicate threshold")
    num_perm: int = Field(default=128, ge=16, le=1024)
    patterns: str | None = Field(
        default=None, description="YAML file of extra boilerplate patterns (added to the shipped)"
    )
    thresholds: Thresholds = Field(default_factory=Thresholds)
    record: bool = Field(default=True, description="write the :Check node (needs dataset.id)")

    @field_validator("template")
    @classmethod
    def _template_names_fields(cls, value: str | None) -> str | None:
        if value is not None and "{" not in value:
            raise ValueError("template must name at least one field, e.g. '{question}'")
        return value


class Matches(BaseModel):
    """Records that match something: in total, inside the dataset, per reference."""

    count: int = Field(description="flagged records (each counted once)")
    rate: float
    within: int = Field(default=0, description="records matching an earlier record of itself")
    by_reference: dict[str, int] = Field(default_factory=dict)


class NearDuplicates(Matches):
    jaccard: float
    shingle: int
    num_perm: int


class NgramOverlap(Matches):
    n: int
    ngrams_matched: int = Field(default=0, description="n-gram occurrences found in a reference")


class FormatErrors(BaseModel):
    count: int
    rate: float
    by_kind: dict[str, int] = Field(default_factory=dict)


class Boilerplate(BaseModel):
    count: int
    rate: float
    by_pattern: dict[str, int] = Field(default_factory=dict)
    self_identification: dict[str, int] = Field(
        default_factory=dict, description="records naming a vendor's model, per vendor"
    )


class Divergence(BaseModel):
    """Jensen-Shannon divergence (base 2, 0 = same, 1 = disjoint) from one reference."""

    reference: str
    length: float = Field(description="of the distributions of token counts (log2 bins)")
    vocabulary: float = Field(description="of the unigram distributions (hashed buckets)")


class CheckFinding(BaseModel):
    """A threshold a check exceeded."""

    rule: str
    severity: Literal["warning", "error"]
    reference: str | None
    rate: float
    threshold: float
    explanation: str


class CheckReport(BaseModel):
    """The result of one check run."""

    id: str
    dataset: str = Field(description="the dataset's id, or its path when it has none")
    dataset_path: str
    references: list[str] = Field(description="ids (or paths) of the references")
    records: int
    reference_records: dict[str, int]
    exact_duplicates: Matches
    near_duplicates: NearDuplicates
    ngram_overlap: NgramOverlap
    format_errors: FormatErrors
    boilerplate: Boilerplate
    divergence: list[Divergence]
    findings: list[CheckFinding] = Field(default_factory=list)
    recorded: bool = Field(description="whether a :Check node was written")
    alerts_opened: int = 0
    started_at: datetime
    finished_at: datetime
    records_per_second: float


class FlaggedRecord(BaseModel):
    """One line of ``--details``: a flagged record (0-based row index) and why."""

    record: int
    kind: FlagKind
    reference: str | None = Field(description="the dataset itself for within-duplicates")
    reference_record: int | None = None
    score: float | None = None
    detail: str | None = None


class CheckSummary(BaseModel):
    """A recorded check, as `show`, lineage views and `GET .../checks` list it."""

    id: str
    dataset: str
    references: list[str]
    role: Literal["checked", "reference"] = Field(
        description="whether the artifact asked about was checked or a reference"
    )
    finished_at: datetime
    records: int
    exact_duplicate_rate: float
    near_duplicate_rate: float
    ngram_overlap_rate: float
    format_error_rate: float
    boilerplate_rate: float
    max_divergence: float
    findings: int


JobStatus = Literal["queued", "running", "succeeded", "failed"]


class CheckJob(BaseModel):
    """A check run by the API in the background."""

    id: str
    status: JobStatus
    submitted_at: datetime
    records_done: int = 0
    phase: str | None = None
    report: CheckReport | None = None
    error: str | None = None
