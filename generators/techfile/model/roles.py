"""The roles and relations the checks, views and generators rely on.

techfile's code never names a need type or a link type: it names a
:class:`Role` (the software requirement, the hazard, ...) or a
:class:`Relation` (verifies, mitigates, ...), and the need model says which
of the project's types and link types play them. A project in the style of
any sphinx-needs project (types ``req``, ``spec``, ``test``; links ``links``,
``tests``) maps its own names; a role it leaves out makes the rules that
need it "not applicable".

Each role also lists the fields its checks read, by their canonical name; a
project whose field is named differently maps it (``fields = { severity =
"sev" }``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Self


class Role(Enum):
    """What a need type is for, as the checks see it."""

    description: str
    fields: tuple[str, ...]

    def __new__(cls, value: str, description: str, fields: tuple[str, ...] = ()) -> Self:
        member = object.__new__(cls)
        member._value_ = value
        member.description = description
        member.fields = fields
        return member

    STATEMENT = ("statement", "A controlled statement: intended use, development plan, documentation level, a plan section addressing clauses.", ("kind", "documentation_level", "addresses", "labelling_roles"))
    USER_NEED = ("user_need", "What the intended user needs; the source of system requirements.")
    SYSTEM_REQUIREMENT = ("system_requirement", "A requirement on the medical device system (IEC 62304 5.2.1).", ("allocation",))
    SOFTWARE_REQUIREMENT = ("software_requirement", "A software requirement of the SRS (IEC 62304 5.2).", ("category", "verification_method", "verification_rationale"))
    SOFTWARE_ITEM = ("software_item", "A software system, item or unit of the architecture; carries the safety class (IEC 62304 4.3, 5.3).", ("level", "safety_class", "class_rationale", "detailed_design"))
    HAZARD = (
        "hazard",
        "A hazardous situation with its initial and residual risk (ISO 14971 5-7).",
        ("severity", "probability", "residual_severity", "residual_probability", "risk_acceptance", "benefit_risk", "cause", "software_contribution", "hazardous_situation", "harm"),
    )
    RISK_CONTROL = ("risk_control", "A risk control measure (ISO 14971 7).", ("option", "realization", "effectiveness", "new_hazards"))
    TEST_SPECIFICATION = ("test_specification", "A test procedure with acceptance criteria (IEC 62304 5.5-5.7).", ("level", "aspect", "acceptance", "junit"))
    TEST_RESULT = (
        "test_result",
        "One executed test case, generated from evidence (IEC 62304 5.7.5).",
        ("result", "message", "time_s", "case", "classname", "suite", "level", "test_file", "test_line", "timestamp", "host", "runner", "software_version", "commit", "source_file", "source_line", "source_sha256", "properties"),
    )
    SOUP_ITEM = ("soup_item", "Software of unknown provenance (IEC 62304 8.1.2, 5.3.3-5.3.4, 7.1.3).", ("manufacturer", "version", "anomaly_evaluation", "anomaly_evaluation_date", "anomaly_evaluation_version"))
    DEPENDENCY_COMPONENT = (
        "dependency_component",
        "A dependency as a lock file or SBOM records it (generated evidence).",
        (
            "version", "source_file", "source_line",
            # SOUP and SBOM evidence (techfile soup)
            "purl", "license", "manufacturer", "ecosystem", "dependency", "scope", "pulled_in_by", "depends_on", "hashes",
            "version_exact", "license_problem", "source_format", "source_sha256",
        ),
    )
    # ---- vulnerabilities of the SOUP (techfile soup --vulnerabilities; IEC 62304 7.1.3, FDA cybersecurity V.A.4 b) ----
    VULNERABILITY = (
        "vulnerability",
        "A known vulnerability of one package version, as a scan report records it (generated evidence).",
        ("vulnerability_id", "aliases", "package", "version", "ecosystem", "vulnerability_severity", "fixed_in", "analysis_state", "analysis_detail", "analysis_response", "scanner", "scanned_on", "source_file", "source_line", "source_sha256"),
    )
    VULNERABILITY_SCAN = (
        "vulnerability_scan",
        "One vulnerability scan report: scanner, date, whether it reached its database, what it scanned (generated evidence).",
        ("scanner", "scanned_on", "scan_status", "scan_problem", "scanned_packages", "source_file", "source_line", "source_sha256"),
    )
    VULNERABILITY_EVALUATION = (
        "vulnerability_evaluation",
        "The manufacturer's evaluation of one vulnerability of one SOUP version: exploitability, risk, action (IEC 62304 7.1.3; FDA cybersecurity V.A.4 b).",
        ("vulnerability", "package", "version", "exploitability", "risk", "action", "evaluation_date"),
    )
    ANOMALY = ("anomaly", "A problem report or known residual anomaly (IEC 62304 5.8.2-5.8.3, 9).", ("resolution", "safety_impact", "discovered", "discovery", "root_cause", "outcome", "rationale"))
    RELEASE = (
        "release",
        "A software release: the version the evidence must be for (IEC 62304 5.8).",
        ("version", "commit", "archive_tag", "archive_sha256", "risk_management_report", "changes_assessed"),
    )
    ML_MODEL = ("ml_model", "A machine-learning model version embedded in a software item.")
    DATASET = (
        "dataset",
        "A dataset a model was trained, tuned or tested on.",
        ("split", "digest", "records", "data_source", "source_systems", "collection_period", "consent_basis", "deidentification", "inclusion_criteria", "exclusion_criteria", "labelling_protocol", "protocol_version", "annotators_required", "agreement_required", "split_by"),
    )
    ML_MODEL_VERSION = (
        "ml_model_version",
        "A registered model version as the MLflow model registry records it (generated evidence).",
        ("registered_model", "model_version", "aliases", "stage", "version_status", "run_id", "model_source", "model_artifact_sha256", "registered_on", "version_tags", "tracking_uri", "pccp_modification", "predecessor_version", "predecessor_artifact_sha256", "predecessor_params", "predecessor_training_digest", "predecessor_testing_digest"),
    )
    ML_RUN = (
        "ml_run",
        "An MLflow run of a model's experiment, failed and killed ones included (generated evidence).",
        ("run_id", "run_name", "run_status", "run_part", "experiment", "start_time", "end_time", "git_commit", "git_repo", "params", "metrics", "datasets", "training_digest", "validation_digest", "testing_digest", "artifacts", "run_tags"),
    )
    # ---- data provenance (techfile dvc, techfile annotations; GMLP 3-4, FDA AI-DSF data management) ----
    DATASET_VERSION = (
        "dataset_version",
        "A dataset version as a DVC lock records it: path, hash, SHA-256 of the content, stage, record-key counts (generated evidence).",
        ("dvc_path", "dvc_repo", "dvc_file", "hash_algorithm", "dvc_hash", "digest", "size_bytes", "nfiles", "dvc_stage", "stage_cmd", "stage_deps", "stage_outs", "stage_params", "workspace_status", "records", "distinct_patients", "distinct_sites", "date_from", "date_to", "patient_overlap", "site_overlap"),
    )
    ANNOTATION_RECORD = (
        "annotation_record",
        "The labelling of a dataset as a Label Studio export records it: annotators, dates, labels, agreement, adjudication (generated evidence).",
        ("annotation_tool", "tasks", "annotations", "annotators", "raters_min", "raters_max", "annotated_from", "annotated_to", "label_distribution", "agreement_metric", "agreement", "agreement_tasks", "adjudicated", "adjudicators", "cancelled", "protocol_version", "source_file", "source_sha256"),
    )
    PCCP_MODIFICATION = (
        "pccp_modification",
        "A modification a predetermined change control plan declares in advance, with its limits (FDA PCCP guidance 2024).",
        ("modification_kind", "allowed_changes", "fixed_params", "acceptance_ref"),
    )
    WAIVER = ("waiver", "A traceability gap accepted on record.", ("rule",))
    APPROVAL = (
        "approval",
        "A signature on a controlled document or a release: printed name, role, meaning, date and the content digest signed (21 CFR 820.40 a, 11.50).",
        ("approver", "approver_role", "meaning", "approved_on", "document", "document_version", "commit", "content_sha256", "content_files", "git_tag", "verify"),
    )
    CHANGE_REQUEST = (
        "change_request",
        "An approved change request, with its pull request and its safety and regression analysis (IEC 62304 6.2.3-6.2.4, 7.4.1, 8.2).",
        ("pull_request", "safety_impact", "regression_analysis", "approved_by", "approved_on"),
    )
    BUILD_ENVIRONMENT = (
        "build_environment",
        "The build environment of a release as recorded when it was built (generated evidence, IEC 62304 5.8.5).",
        ("python_version", "python_implementation", "platform", "operating_system", "lock_files", "image", "image_digest", "dockerfile", "dockerfile_sha256", "software_version", "commit", "techfile_version"),
    )

    # ---- post-market surveillance (ISO 14971 10, IEC 62304 6 and 9, EU MDR Annex III) ----
    MONITORING_RULE = (
        "monitoring_rule",
        "One rule of the post-market monitoring plan of an ML model: metric, threshold, alert tier, who is alerted, what it watches.",
        ("monitor_kind", "monitored_metric", "subgroup", "threshold", "alert_tier", "alerted", "monitoring_window"),
    )
    MONITORING_RESULT = (
        "monitoring_result",
        "What a monitoring report measured for one monitoring rule in one window (generated evidence).",
        ("monitored_metric", "subgroup", "metric_value", "threshold", "monitor_outcome", "window_start", "window_end", "reference_digest", "current_digest", "registered_model", "model_version", "report_format", "source_file", "source_sha256"),
    )
    FIELD_EVENT = (
        "field_event",
        "A complaint, adverse event or drift alarm from the field, with its risk evaluation (ISO 14971 10.3; IEC 62304 9.1).",
        ("event_kind", "event_date", "safety_relevant", "previous_probability", "updated_probability", "risk_rationale"),
    )
    CORRECTIVE_ACTION = (
        "corrective_action",
        "A CAPA on a field event: investigation, root cause, action, verification of effectiveness, closure (ISO 13485 8.5.2; IEC 62304 9).",
        ("investigation", "root_cause", "action", "effectiveness_verification", "capa_status", "closed_on"),
    )

    @classmethod
    def named(cls, value: str) -> Role | None:
        return next((role for role in cls if role.value == value), None)


class Relation(Enum):
    """What a link means, as the checks follow it (written on the first role, pointing at the second)."""

    description: str

    def __new__(cls, value: str, description: str) -> Self:
        member = object.__new__(cls)
        member._value_ = value
        member.description = description
        return member

    DERIVES_FROM = ("derives_from", "A requirement refines a system requirement or user need.")
    ALLOCATED_TO = ("allocated_to", "A software requirement is realised by a software item.")
    IMPLEMENTS = ("implements", "A software requirement implements a risk control.")
    PART_OF = ("part_of", "A software item is part of a larger item.")
    USES = ("uses", "A software item uses a SOUP item or an ML model.")
    ARISES_FROM = ("arises_from", "A hazard arises from a software item.")
    MITIGATES = ("mitigates", "A risk control mitigates a hazard.")
    VERIFIES = ("verifies", "A test specification or result verifies a requirement, control or item.")
    RESULT_OF = ("result_of", "A test result is a result of a test specification.")
    FOUND_BY = ("found_by", "An anomaly was found by a test result or specification.")
    AFFECTS = ("affects", "An anomaly affects an item, requirement or SOUP item.")
    DISCLOSES = ("discloses", "A release discloses a known anomaly.")
    TRAINED_ON = ("trained_on", "An ML model was trained on a dataset.")
    EVALUATED_ON = ("evaluated_on", "An ML model was evaluated on a dataset.")
    WAIVES = ("waives", "A waiver accepts a gap of a need.")
    APPROVES = ("approves", "An approval signs a release (its document is named by the approval's `document`).")
    RESIDUAL_RISK_EVALUATION = ("residual_risk_evaluation", "A release links the overall residual-risk evaluation it is released under.")
    PREVIOUS = ("previous", "A release follows the previous release: one row of the version history after another.")
    BUILT_IN = ("build_environment", "A release was built in a recorded build environment.")
    RELEASED_IN = ("released_in", "A change request is released in a release.")
    VERSION_OF = ("version_of", "A registered model version is a version of an authored ML model.")
    EVALUATED_IN = ("evaluated_in", "A registered model version was trained and evaluated in an MLflow run.")
    CHILD_OF = ("child_of", "An MLflow run is nested in a parent run.")
    EVALUATES = ("evaluates", "A criterion result evaluates a registered model version.")
    TRACKS = ("tracks", "A DVC dataset version is the version of an authored dataset.")
    ANNOTATES = ("annotates", "An annotation record labels an authored dataset.")

    MONITORS = ("monitors", "A monitoring rule monitors an ML model in the field.")
    WATCHES = ("watches", "A monitoring rule watches a hazard or a requirement.")
    MEASURES = ("measures", "A monitoring result is a measurement of a monitoring rule.")
    OBSERVES = ("observes", "A monitoring result observes a registered model version in the field.")
    CONCERNS_RELEASE = ("concerns_release", "A field event concerns a release in the field.")
    CONCERNS_VERSION = ("concerns_version", "A field event concerns a registered model version.")
    RAISED_BY = ("raised_by", "A field event (a drift alarm) was raised by a monitoring result.")
    RISK_OF = ("risk_of", "A field event is evaluated against a hazard.")
    CORRECTS = ("corrects", "A corrective action corrects a field event.")

    @classmethod
    def named(cls, value: str) -> Relation | None:
        return next((relation for relation in cls if relation.value == value), None)


@dataclass(frozen=True)
class RoleMap:
    """Which of the project's types and link types play each role and relation."""

    types: dict[Role, tuple[str, ...]] = field(default_factory=dict)
    links: dict[Relation, str] = field(default_factory=dict)
    field_names: dict[Role, dict[str, str]] = field(default_factory=dict)
    """Per role: canonical field name -> the project's field name, where they differ."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "_role_of", {t: role for role, names in self.types.items() for t in names})

    def role_of(self, need_type: str) -> Role | None:
        role: Role | None = self._role_of.get(need_type)  # type: ignore[attr-defined]
        return role

    def has(self, role: Role) -> bool:
        return bool(self.types.get(role))

    def types_of(self, role: Role) -> tuple[str, ...]:
        return self.types.get(role, ())

    def type_of(self, role: Role) -> str | None:
        """The type generators write for ``role`` (its first type)."""
        names = self.types.get(role, ())
        return names[0] if names else None

    def link(self, relation: Relation) -> str | None:
        return self.links.get(relation)

    def field(self, role: Role | None, canonical: str) -> str:
        """The project's name of a field the checks read as ``canonical``."""
        if role is None:
            return canonical
        return self.field_names.get(role, {}).get(canonical, canonical)
