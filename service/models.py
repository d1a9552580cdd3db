"""Pydantic models: the one schema shared by NDJSON ingest, the API, the CLI and the SDK.

Input records (``NodeRecord``, ``EdgeRecord``) are strict: unknown fields and bad enum
values are errors. Output models (``Artifact``, ``Lineage``, ``Stats``...) are what the API
returns and what ``--json`` prints.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, time
from enum import StrEnum
from functools import cache, lru_cache
from typing import Annotated, Any, Literal

from license_expression import ExpressionError, Licensing, get_spdx_licensing
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

SCHEMA_VERSION = "1"
MAX_ID_LENGTH = 512
_ID_FORBIDDEN = re.compile(r"[\x00-\x1f\x7f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


class NodeKind(StrEnum):
    DATASET = "dataset"
    MODEL = "model"
    SOURCE = "source"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class EdgeKind(StrEnum):
    """Lineage relationships: the only ones ancestry follows. They point upstream."""

    DERIVED_FROM = "DERIVED_FROM"
    GENERATED_BY = "GENERATED_BY"
    TRAINED_ON = "TRAINED_ON"
    FINE_TUNED_FROM = "FINE_TUNED_FROM"


LINEAGE_EDGE_KINDS: tuple[str, ...] = tuple(kind.value for kind in EdgeKind)

# Which node kinds each lineage edge may connect (child kind, allowed parent kinds).
EDGE_ENDPOINTS: dict[EdgeKind, tuple[NodeKind, frozenset[NodeKind]]] = {
    EdgeKind.DERIVED_FROM: (NodeKind.DATASET, frozenset({NodeKind.DATASET, NodeKind.SOURCE})),
    EdgeKind.GENERATED_BY: (NodeKind.DATASET, frozenset({NodeKind.MODEL})),
    EdgeKind.TRAINED_ON: (NodeKind.MODEL, frozenset({NodeKind.DATASET, NodeKind.SOURCE})),
    EdgeKind.FINE_TUNED_FROM: (NodeKind.MODEL, frozenset({NodeKind.MODEL})),
}


class Direction(StrEnum):
    UPSTREAM = "upstream"
    DOWNSTREAM = "downstream"


class IntendedUse(StrEnum):
    COMMERCIAL = "commercial"
    NON_COMMERCIAL = "non-commercial"
    RESEARCH = "research"


class Distribution(StrEnum):
    NONE = "none"
    INTERNAL = "internal"
    PUBLIC = "public"
    HOSTED_SERVICE = "hosted-service"


class ModelType(StrEnum):
    LLM = "llm"
    TEXT_TO_IMAGE = "text-to-image"
    CLASSIFIER = "classifier"
    EMBEDDING = "embedding"


class Weights(StrEnum):
    OPEN = "open"
    API = "api"


class Modality(StrEnum):
    TEXT = "text"
    IMAGE = "image"
    AUDIO = "audio"
    VIDEO = "video"
    MULTIMODAL = "multimodal"


class FineTuneMethod(StrEnum):
    FINETUNE = "finetune"
    ADAPTER = "adapter"
    DISTILL = "distill"
    QUANTIZE = "quantize"
    MERGE = "merge"


def validate_artifact_id(value: str) -> str:
    """Ids are the graph's keys: non-empty, bounded, printable, no surrounding spaces."""
    if not value or value != value.strip():
        raise ValueError("id must be non-empty and have no leading or trailing spaces")
    if len(value) > MAX_ID_LENGTH:
        raise ValueError(f"id is longer than {MAX_ID_LENGTH} characters")
    if value.isascii() and value.isprintable():  # the usual id: no control, no surrogate
        return value
    if _ID_FORBIDDEN.search(value):
        raise ValueError("id contains control characters")
    if _SURROGATE.search(value):
        raise ValueError("id is not valid Unicode (an unpaired surrogate)")
    return value


def unpaired_surrogate(value: Any) -> bool:
    """Whether any string in ``value`` (a decoded JSON value) holds an unpaired surrogate:
    JSON allows the escape, but such text cannot be stored or encoded as UTF-8."""
    if isinstance(value, str):
        return _SURROGATE.search(value) is not None
    if isinstance(value, dict):
        return any(unpaired_surrogate(k) or unpaired_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(unpaired_surrogate(v) for v in value)
    return False


def _to_utc_datetime(value: Any) -> Any:
    """Accept a date or a datetime; naive values are taken as UTC."""
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        value = date.fromisoformat(value)
    if isinstance(value, date) and not isinstance(value, datetime):
        return datetime.combine(value, time.min, tzinfo=UTC)
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def _in_utc(value: datetime) -> datetime:
    # Python allows offsets up to 24 h, Neo4j only 18 h: store every instant in UTC.
    return value.astimezone(UTC)


UtcDatetime = Annotated[datetime, BeforeValidator(_to_utc_datetime), AfterValidator(_in_utc)]


def as_of_instant(value: datetime | None) -> datetime:
    """The instant an "as of" question is asked at: now by default, naive values as UTC."""
    if value is None:
        return datetime.now(UTC)
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


@cache
def spdx_licensing() -> Licensing:
    """The SPDX license table: slow to build (about 0.1 s), so built once."""
    return get_spdx_licensing()


@lru_cache(maxsize=4096)
def _license_keys(expression: str) -> tuple[str, ...]:
    try:
        parsed = spdx_licensing().parse(expression, validate=False, strict=True)
    except ExpressionError as exc:
        raise ValueError(f"invalid license expression {expression!r}: {exc}") from exc
    if parsed is None:
        raise ValueError("license expression is empty")
    return tuple(sorted(set(spdx_licensing().license_keys(parsed))))


def license_keys(expression: str) -> list[str]:
    """The license ids named in an SPDX expression (unknown ids allowed, syntax checked)."""
    return list(_license_keys(expression))


_STRICT = ConfigDict(extra="forbid", str_strip_whitespace=False, populate_by_name=True)

# Fields that only make sense on some node kinds: a model has no `human`, a source no `vendor`.
_NODE_FIELDS_BY_KIND: dict[str, frozenset[NodeKind]] = {
    "vendor": frozenset({NodeKind.MODEL}),
    "family": frozenset({NodeKind.MODEL}),
    "model_type": frozenset({NodeKind.MODEL}),
    "weights": frozenset({NodeKind.MODEL}),
    "competes_with": frozenset({NodeKind.MODEL}),
    "human": frozenset({NodeKind.SOURCE}),
    "records": frozenset({NodeKind.DATASET, NodeKind.SOURCE}),
    "modality": frozenset({NodeKind.DATASET, NodeKind.SOURCE}),
    "intended_use": frozenset({NodeKind.DATASET, NodeKind.MODEL}),
    "distribution": frozenset({NodeKind.DATASET, NodeKind.MODEL}),
}

_EDGE_FIELDS_BY_KIND: dict[str, frozenset[EdgeKind]] = {
    "transform": frozenset({EdgeKind.DERIVED_FROM}),
    "prompt_template": frozenset({EdgeKind.GENERATED_BY}),
    "split": frozenset({EdgeKind.TRAINED_ON}),
    "method": frozenset({EdgeKind.FINE_TUNED_FROM}),
}


class NodeRecord(BaseModel):
    """One artifact (dataset, model or source) as written by NDJSON ingest or the API."""

    model_config = _STRICT

    node: NodeKind
    id: str
    name: str | None = None
    version: str | None = None
    uri: str | None = None
    license: str | None = Field(default=None, description="SPDX license expression")
    intended_use: IntendedUse | None = None
    distribution: Distribution | None = None
    records: int | None = Field(default=None, ge=0)
    modality: Modality | None = None
    human: bool | None = None
    vendor: str | None = None
    family: str | None = None
    model_type: ModelType | None = None
    weights: Weights | None = None
    competes_with: list[str] | None = Field(
        default=None, description="providers this model competes with (e.g. OpenAI)"
    )
    notices: list[str] | None = Field(
        default=None, description="license ids whose notices and credits the release carries"
    )
    org_mau: int | None = Field(default=None, ge=0, description="monthly active users of the org")
    org_domicile: str | None = Field(
        default=None, description="where the org is domiciled, e.g. EU"
    )
    attrs: dict[str, Any] | None = None

    @field_validator("id")
    @classmethod
    def _check_id(cls, value: str) -> str:
        return validate_artifact_id(value)

    @field_validator("license")
    @classmethod
    def _check_license(cls, value: str | None) -> str | None:
        if value is not None:
            license_keys(value)
        return value

    @model_validator(mode="after")
    def _fields_fit_kind(self) -> NodeRecord:
        for name, kinds in _NODE_FIELDS_BY_KIND.items():
            if getattr(self, name) is not None and self.node not in kinds:
                allowed = ", ".join(sorted(k.value for k in kinds))
                raise ValueError(
                    f"field {name!r} is not allowed on a {self.node.value} ({allowed} only)"
                )
        return self

    def properties(self) -> dict[str, Any]:
        """Neo4j properties: set fields only, enums as strings, attrs as a JSON string."""
        data = self.model_dump(mode="json", exclude={"node", "attrs"}, exclude_none=True)
        if self.attrs is not None:
            data["attrs"] = json.dumps(self.attrs, sort_keys=True)
        return data


class Waiver(BaseModel):
    """Permission that stops a license's clause (or all its clauses) at one edge."""

    model_config = _STRICT

    license: str = Field(description="the license or terms id whose clause is waived")
    clause: str | None = Field(default=None, description="clause id; none waives every clause")
    granted_by: str = Field(min_length=1, description="who gave the permission")
    date: date
    note: str | None = None


class EdgeRecord(BaseModel):
    """One lineage relationship, from the newer artifact to its origin."""

    model_config = _STRICT

    edge: EdgeKind
    from_: str = Field(alias="from")
    to: str
    records: int | None = Field(default=None, ge=0)
    run: str | None = None
    valid_from: UtcDatetime | None = None
    valid_to: UtcDatetime | None = None
    transform: str | None = None
    prompt_template: str | None = None
    split: str | None = None
    method: FineTuneMethod | None = None
    waivers: list[Waiver] | None = None

    @field_validator("from_", "to")
    @classmethod
    def _check_ids(cls, value: str) -> str:
        return validate_artifact_id(value)

    @model_validator(mode="after")
    def _consistent(self) -> EdgeRecord:
        if self.from_ == self.to:
            raise ValueError(
                f"self-loop: {self.from_!r} cannot be its own {self.edge.value} parent"
            )
        for name, kinds in _EDGE_FIELDS_BY_KIND.items():
            if getattr(self, name) is not None and self.edge not in kinds:
                raise ValueError(f"field {name!r} is not allowed on a {self.edge.value} edge")
        if self.valid_from and self.valid_to and self.valid_to <= self.valid_from:
            raise ValueError("valid_to must be later than valid_from")
        return self

    def properties(self) -> dict[str, Any]:
        """Relationship properties (valid_from/valid_to stay datetimes for Neo4j)."""
        data = self.model_dump(
            mode="json",
            exclude={"edge", "from_", "to", "valid_from", "valid_to", "waivers"},
            exclude_none=True,
        )
        if self.waivers is not None:  # a property cannot hold maps: keep them as JSON
            data["waivers"] = json.dumps([w.model_dump(mode="json") for w in self.waivers])
        return data


# ---------------------------------------------------------------- runs (PROV activities)


class RunKind(StrEnum):
    GENERATION = "generation"
    TRAINING = "training"
    FINE_TUNING = "fine-tuning"
    FILTERING = "filtering"
    EVALUATION = "evaluation"
    OTHER = "other"


class RunStatus(StrEnum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class RunEdgeKind(StrEnum):
    """Activity relationships: not lineage (ancestry never follows them)."""

    PRODUCED_BY = "PRODUCED_BY"  # Artifact -> Run
    USED = "USED"  # Run -> Artifact


class RunRecord(BaseModel):
    """One synthesis, training, fine-tuning or filtering run (a `:Run` node, not an artifact).

    Writing a run again merges its fields; a finished run (succeeded or failed) never goes
    back to running, so a replayed or late start event cannot undo its end.
    """

    model_config = _STRICT

    node: Literal["run"]
    id: str
    kind: RunKind | None = None
    name: str | None = None
    status: RunStatus | None = None
    started_at: UtcDatetime | None = None
    ended_at: UtcDatetime | None = None
    params: dict[str, Any] | None = Field(default=None, description="run parameters (JSON)")
    error: str | None = Field(default=None, description="why a failed run failed")
    manifest: str | None = Field(default=None, description="URI of the record manifest (Parquet)")
    manifest_sha256: str | None = None
    recorded_by: str | None = Field(default=None, description="sdk, openlineage, ...")
    attrs: dict[str, Any] | None = None

    @field_validator("id")
    @classmethod
    def _check_id(cls, value: str) -> str:
        return validate_artifact_id(value)

    def properties(self) -> dict[str, Any]:
        """Neo4j properties: times stay datetimes, params and attrs become JSON strings."""
        data = self.model_dump(
            mode="json",
            exclude={"node", "attrs", "params", "started_at", "ended_at"},
            exclude_none=True,
        )
        for name in ("params", "attrs"):
            value = getattr(self, name)
            if value is not None:
                data[name] = json.dumps(value, sort_keys=True)
        for name in ("started_at", "ended_at"):
            if getattr(self, name) is not None:
                data[name] = getattr(self, name)
        return data


class RunEdgeRecord(BaseModel):
    """`PRODUCED_BY` (artifact -> run) or `USED` (run -> artifact), with the input's role."""

    model_config = _STRICT

    edge: RunEdgeKind
    from_: str = Field(alias="from")
    to: str
    role: str | None = Field(default=None, description="seed, prompt, generator, training-data...")
    records: int | None = Field(default=None, ge=0)

    @field_validator("from_", "to")
    @classmethod
    def _check_ids(cls, value: str) -> str:
        return validate_artifact_id(value)

    @property
    def run_id(self) -> str:
        return self.to if self.edge is RunEdgeKind.PRODUCED_BY else self.from_

    @property
    def artifact_id(self) -> str:
        return self.from_ if self.edge is RunEdgeKind.PRODUCED_BY else self.to

    def properties(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude={"edge", "from_", "to"}, exclude_none=True)


# ---------------------------------------------------------------- outputs


class Artifact(BaseModel):
    """An artifact as stored: its kind, id and every property it has."""

    model_config = ConfigDict(extra="allow")

    id: str
    kind: NodeKind
    name: str | None = None


class ArtifactDetail(Artifact):
    """One artifact read on its own, with the licenses it currently declares."""

    licenses: list[str] = Field(default_factory=list, description="ids of LICENSED_UNDER targets")


class LineageEdge(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)

    from_: str = Field(alias="from", serialization_alias="from")
    to: str
    type: EdgeKind


TruncatedReason = Literal["max_depth", "limit"]


class Lineage(BaseModel):
    """Ancestry or impact of one artifact: distinct nodes, then the edges among them."""

    root: str
    direction: Direction
    nodes: list[Artifact]
    edges: list[LineageEdge]
    total: int = Field(description="distinct nodes in the whole answer, across all pages")
    complete: bool
    truncated_reason: TruncatedReason | None = None
    next_cursor: str | None = None


class WitnessPath(BaseModel):
    """One shortest lineage path from `source` up to `target` (or none)."""

    source: str
    target: str
    found: bool
    nodes: list[str]
    edges: list[LineageEdge]


class Stats(BaseModel):
    nodes: dict[str, int]
    relationships: dict[str, int]


class AlertsSummary(BaseModel):
    """What re-checking license conflicts after a write found (see docs/alerts.md)."""

    evaluated: bool
    reason: str | None = Field(default=None, description="why nothing was evaluated")
    detail: str | None = None
    affected: int = 0
    opened: int = Field(default=0, description="new conflict alerts")
    resolved: int = 0
    deliveries_queued: int = 0
    risk_evaluated: bool | None = Field(
        default=None, description="whether risk findings were re-assessed (none: not needed)"
    )
    risk_reason: str | None = Field(default=None, description="why risk was not re-assessed")
    risk_detail: str | None = None
    risk_opened: int = Field(default=0, description="new synthetic-data risk alerts")
    risk_resolved: int = 0


class IngestReport(BaseModel):
    """What an ingest did. Counts are of lines in the input, and of graph changes."""

    source: str
    lines: int
    nodes: int
    edges: int
    skipped: list[dict[str, Any]] = Field(default_factory=list)
    nodes_created: int = 0
    relationships_created: int = 0
    properties_set: int = 0
    alerts: AlertsSummary | None = Field(
        default=None, description="conflicts re-checked after the write (none when not asked)"
    )


class Problem(BaseModel):
    """An RFC 9457 problem document, as every API error is returned."""

    model_config = ConfigDict(extra="allow")

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    instance: str | None = None
