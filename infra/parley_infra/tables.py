"""One DynamoDB table per model in chalicelib.data.registry.MODELS: a new model is a new table."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from constructs import Construct

from parley_infra.manifest import Index, Key, TableSpec

_TYPES = {
    "S": dynamodb.AttributeType.STRING,
    "N": dynamodb.AttributeType.NUMBER,
    "B": dynamodb.AttributeType.BINARY,
}
_PROJECTIONS = {
    "ALL": dynamodb.ProjectionType.ALL,
    "KEYS_ONLY": dynamodb.ProjectionType.KEYS_ONLY,
    "INCLUDE": dynamodb.ProjectionType.INCLUDE,
}
_STREAMS = {view.value: view for view in dynamodb.StreamViewType}


def _attribute(key: Key | None) -> dynamodb.Attribute | None:
    return dynamodb.Attribute(name=key.name, type=_TYPES[key.type]) if key else None


def _projection(index: Index) -> dict[str, object]:
    options: dict[str, object] = {"projection_type": _PROJECTIONS[index.projection]}
    if index.projection == "INCLUDE":
        options["non_key_attributes"] = list(index.non_key_attributes)
    return options


class AppTables(Construct):
    """On-demand, point-in-time recovery, encrypted with the AWS managed key, TTL and streams
    where the model declares them. Names are the app's own: PARLEY_TABLE_PREFIX + short name."""

    def __init__(
        self, scope: Construct, construct_id: str, *, specs: tuple[TableSpec, ...], retain: bool
    ) -> None:
        super().__init__(scope, construct_id)
        self.specs = {spec.short: spec for spec in specs}
        self.tables: dict[str, dynamodb.Table] = {}
        for spec in specs:
            stream = None
            if spec.stream:
                if spec.stream not in _STREAMS:
                    raise ValueError(f"{spec.model}: unknown stream_view_type {spec.stream!r}")
                stream = _STREAMS[spec.stream]
            table = dynamodb.Table(
                self,
                _construct_id(spec.short),
                table_name=spec.name,
                partition_key=_attribute(spec.hash),
                sort_key=_attribute(spec.range),
                billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
                point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                    point_in_time_recovery_enabled=True
                ),
                encryption=dynamodb.TableEncryption.AWS_MANAGED,
                time_to_live_attribute=spec.ttl,
                stream=stream,
                deletion_protection=retain,
                removal_policy=RemovalPolicy.RETAIN if retain else RemovalPolicy.DESTROY,
            )
            for gsi in spec.gsis:
                table.add_global_secondary_index(
                    index_name=gsi.name,
                    partition_key=_attribute(gsi.hash),
                    sort_key=_attribute(gsi.range),
                    **_projection(gsi),  # type: ignore[arg-type]
                )
            for lsi in spec.lsis:
                assert lsi.range is not None, f"{spec.model}.{lsi.name}: an LSI needs a range key"
                table.add_local_secondary_index(
                    index_name=lsi.name,
                    sort_key=_attribute(lsi.range),  # type: ignore[arg-type]
                    **_projection(lsi),  # type: ignore[arg-type]
                )
            self.tables[spec.short] = table

    def streamed(self) -> dict[str, dynamodb.Table]:
        return {short: t for short, t in self.tables.items() if self.specs[short].stream}


def _construct_id(short: str) -> str:
    return "".join(part.capitalize() for part in short.replace("_", "-").split("-")) + "Table"
