"""The checks a failed run never got to: Dagster leaves them planned and the UI shows them as "Execution failed"
without a word, which ops read as bad data. Each gets a WARN evaluation in that run saying it was not evaluated
and which step's failure stopped it, so the check's own page tells the run's story instead of a verdict."""

from __future__ import annotations

import re
from collections.abc import Iterable

import dagster as dg

NOT_EVALUATED = "not evaluated"


def first_failure(events: Iterable[dg.DagsterEvent]) -> tuple[str | None, str, bool]:
    """(step key, one-line cause, bad input?) of the run's first failed step: a dg.Failure's own description,
    else the innermost exception."""
    for event in events:
        if event.event_type_value == "STEP_FAILURE":
            data = event.step_failure_data
            user = data.user_failure_data
            if user and user.description:
                bad_input = bool(getattr(user.metadata.get("bad_input"), "value", False))
                return event.step_key, f"{event.step_key}: {user.description.strip()}", bad_input
            cause = data.error.cause or data.error
            while cause.cause is not None:
                cause = cause.cause
            message = re.sub(r"^[\w.]+(Error|Exception|Failure|NoBarsYet|RateLimited): ", "", cause.message.strip())
            return event.step_key, f"{event.step_key}: {message}", False
    return None, "the run failed (see the Dagster run log)", False


def run_failure_cause(instance: dg.DagsterInstance, run_id: str) -> str | None:
    """The first failed step's one-line cause, as the CLI prints it ('daily_prices: AMD.csv line 62: …')."""
    records = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.STEP_FAILURE, limit=1).records
    if not records:
        return None
    return first_failure([records[0].event_log_entry.dagster_event])[1]


def explain_unrun_checks(instance: dg.DagsterInstance, run_id: str) -> list[str]:
    """Record, in the failed run `run_id`, a WARN evaluation for every check it planned and never evaluated.
    Returns 'asset.check' for each. Idempotent: a check already evaluated (by the run, or by an earlier call from
    the CLI or the daemon's sensor) is left alone."""
    run = instance.get_run_by_id(run_id)
    if run is None or run.status != dg.DagsterRunStatus.FAILURE:
        return []
    kinds = {
        dg.DagsterEventType.ASSET_CHECK_EVALUATION_PLANNED,
        dg.DagsterEventType.ASSET_CHECK_EVALUATION,
        dg.DagsterEventType.STEP_FAILURE,
    }
    events = [r.event_log_entry.dagster_event for r in instance.get_records_for_run(run_id, of_type=kinds).records]
    # a run launched from a code location plans its checks per partition; an in-process run, once for all
    planned: dict[tuple[dg.AssetCheckKey, str | None], None] = {}
    for event in events:
        data = event.event_specific_data
        if event.event_type_value == "ASSET_CHECK_EVALUATION_PLANNED":
            subset = data.partitions_subset
            for partition in subset.get_partition_keys() if subset is not None else [None]:
                planned[(data.asset_check_key, partition)] = None
        elif event.event_type_value == "ASSET_CHECK_EVALUATION":  # one without a partition covers them all
            for key in [k for k in planned if k[0] == data.asset_check_key and data.partition in (None, k[1])]:
                del planned[key]
    if not planned:
        return []
    step, cause, _ = first_failure(events)
    where = f"step {step} failed" if step else "the run failed"
    description = (
        f"{NOT_EVALUATED}: {where} before this check ran, so the data was not checked (this is no verdict on it). "
        f"Cause: {cause}"
    )
    done = []
    for key, partition in planned:
        evaluation = dg.AssetCheckEvaluation(
            asset_key=key.asset_key,
            check_name=key.name,
            passed=False,
            severity=dg.AssetCheckSeverity.WARN,
            description=description,
            metadata={"evaluated": False, "failed_step": step or "", "cause": cause},
            partition=partition,
        )
        label = f"{key.asset_key.to_user_string()}.{key.name}"
        instance.report_dagster_event(
            dg.DagsterEvent(
                event_type_value="ASSET_CHECK_EVALUATION",
                job_name=run.job_name,
                event_specific_data=evaluation,
                message=f"{label}: {description}",
            ),
            run_id=run_id,
        )
        if label not in done:
            done.append(label)
    return done
