"""The project's Dagster event log (pipelines/orchestration/event_log_storage.py): Dagster's own tables and files,
with the connections kept open between events. What a run writes through it must read back the same through Dagster's
default storage (and the reverse), from several processes at once."""

import shutil
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as db

from pipelines.orchestration.event_log_storage import (
    OPEN_RUN_SHARDS,
    KeptConnectionInMemoryEventLogStorage,
    KeptConnectionSqliteEventLogStorage,
)
from pipelines.orchestration.execution import instance_for_cli

ROOT = Path(__file__).resolve().parent.parent
SESSIONS = dg.DailyPartitionsDefinition("2025-01-01", end_date="2025-01-11")


@dg.asset(
    partitions_def=SESSIONS,
    backfill_policy=dg.BackfillPolicy.single_run(),
    check_specs=[dg.AssetCheckSpec("rows_present", asset="prices")],
)
def prices(context: dg.AssetExecutionContext):
    if context.run.tags.get("fail") == "yes":
        raise RuntimeError("no prices tonight")
    last = context.partition_key_range.end
    return dg.MaterializeResult(
        metadata={"newest": last}, check_results=[dg.AssetCheckResult(passed=True, metadata={"newest": last})]
    )


def project_home(tmp_path: Path) -> Path:
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(ROOT / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
    return home


def run_range(instance, first: str, last: str, **tags) -> bool:
    job = dg.Definitions(assets=[prices]).resolve_implicit_global_asset_job_def()
    return job.execute_in_process(
        instance=instance,
        raise_on_error=False,
        tags={"dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": last, **tags},
    ).success


@pytest.mark.slow  # other Python processes, or the whole graph
def test_the_shipped_instance_uses_it_and_a_range_run_reads_back_through_dagsters_default_storage(
    tmp_path, monkeypatch
):
    home = project_home(tmp_path)
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    with dg.DagsterInstance.get() as kept:
        assert isinstance(kept.event_log_storage, KeptConnectionSqliteEventLogStorage)
        assert run_range(kept, "2025-01-01", "2025-01-07")
        assert not run_range(kept, "2025-01-08", "2025-01-10", fail="yes")
    assert not list(home.rglob("*.db-wal"))  # disposed: the connections closed and folded their WAL in

    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")  # Dagster's default storage, same files
    with dg.DagsterInstance.get() as default:
        assert type(default.event_log_storage).__name__ == "SqliteEventLogStorage"
        key = dg.AssetKey("prices")
        assert default.get_materialized_partitions(key) == {f"2025-01-0{d}" for d in range(1, 8)}
        newest = default.get_latest_materialization_event(key).asset_materialization
        assert (newest.partition, newest.metadata["newest"].value) == ("2025-01-07", "2025-01-07")
        failed = default.get_run_records(dg.RunsFilter(statuses=[dg.DagsterRunStatus.FAILURE]))
        assert [r.dagster_run.tags["dagster/asset_partition_range_start"] for r in failed] == ["2025-01-08"]
        history = default.event_log_storage.get_asset_check_execution_history(
            dg.AssetCheckKey(key, "rows_present"), limit=10
        )
        succeeded = [r for r in history if r.status.value == "SUCCEEDED"]
        assert len(succeeded) == 1 and succeeded[0].run_id != failed[0].dagster_run.run_id
        assert sorted(r.partition for r in history if r.run_id == failed[0].dagster_run.run_id) == [
            "2025-01-08",
            "2025-01-09",
            "2025-01-10",
        ]  # planned by the failed run, never evaluated
        # and the other way: the default storage writes, the kept one reads it
        assert run_range(default, "2025-01-08", "2025-01-10")

    shutil.copy(ROOT / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
    with dg.DagsterInstance.get() as kept:
        assert len(kept.get_materialized_partitions(dg.AssetKey("prices"))) == 10


def test_only_a_few_run_shards_stay_open_and_a_closed_one_still_reads(tmp_path):
    storage = KeptConnectionSqliteEventLogStorage(str(tmp_path))
    for n in range(OPEN_RUN_SHARDS + 4):
        with storage.run_connection(f"run-{n}") as conn:
            conn.execute(db.text("INSERT INTO event_logs (run_id, event) VALUES (:r, '{}')"), {"r": f"run-{n}"})
    assert len(storage._engines) == OPEN_RUN_SHARDS + 1  # the run shards kept, and the index
    assert "index" in storage._engines and "run-0" not in storage._engines
    with storage.run_connection("run-0") as conn:
        assert conn.execute(db.text("SELECT run_id FROM event_logs")).fetchall() == [("run-0",)]
    storage.dispose()
    assert not storage._engines


@pytest.mark.slow  # other Python processes, or the whole graph
def test_a_process_that_never_disposes_its_storage_still_closes_its_connections_at_exit(tmp_path):
    writer = textwrap.dedent(f"""
        import sqlalchemy as db
        from pipelines.orchestration.event_log_storage import KeptConnectionSqliteEventLogStorage
        storage = KeptConnectionSqliteEventLogStorage({str(tmp_path)!r})
        with storage.run_connection("run-1") as conn:
            conn.execute(db.text("INSERT INTO event_logs (run_id, event) VALUES ('run-1', '{{}}')"))
    """)
    subprocess.run([sys.executable, "-c", writer], cwd=ROOT, check=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["index.db", "run-1.db"]


@pytest.mark.slow  # other Python processes, or the whole graph
def test_processes_writing_the_same_index_at_once_lose_nothing(tmp_path):
    writer = textwrap.dedent(f"""
        import sqlalchemy as db, sys
        from pipelines.orchestration.event_log_storage import KeptConnectionSqliteEventLogStorage
        storage = KeptConnectionSqliteEventLogStorage({str(tmp_path)!r})
        for n in range(300):
            with storage.index_connection() as conn:
                conn.execute(db.text("INSERT INTO event_logs (run_id, event) VALUES (:r, '{{}}')"),
                             {{"r": sys.argv[1]}})
    """)
    KeptConnectionSqliteEventLogStorage(str(tmp_path)).dispose()  # the index exists before they race
    procs = [
        subprocess.Popen([sys.executable, "-c", writer, f"writer-{i}"], cwd=ROOT, stderr=subprocess.PIPE, text=True)
        for i in range(3)
    ]
    for proc in procs:
        assert proc.wait(timeout=120) == 0, proc.stderr.read()
    storage = KeptConnectionSqliteEventLogStorage(str(tmp_path))
    with storage.index_connection() as conn:
        counts = dict(conn.execute(db.text("SELECT run_id, count(*) FROM event_logs GROUP BY run_id")).fetchall())
    assert counts == {"writer-0": 300, "writer-1": 300, "writer-2": 300}


def test_without_a_base_dir_or_dagster_home_it_says_which(monkeypatch):
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    with pytest.raises(ValueError, match="base_dir is not set and DAGSTER_HOME is not set"):
        KeptConnectionSqliteEventLogStorage()


def test_the_cli_s_throwaway_instance_keeps_one_connection_and_records_the_same(monkeypatch):
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    instance = instance_for_cli()
    storage = instance.event_log_storage
    assert isinstance(storage, KeptConnectionInMemoryEventLogStorage)
    opened = []
    db.event.listen(storage._engine, "connect", lambda *_: opened.append(threading.get_ident()))
    assert run_range(instance, "2025-01-01", "2025-01-03")
    asked = len(opened)  # whether two optional tables exist, asked once each
    assert run_range(instance, "2025-01-04", "2025-01-07")
    assert asked <= 2 and len(opened) == asked  # every event went through the kept connection
    key = dg.AssetKey("prices")
    assert instance.get_materialized_partitions(key) == {f"2025-01-0{d}" for d in range(1, 8)}
    history = storage.get_asset_check_execution_history(dg.AssetCheckKey(key, "rows_present"), limit=10)
    assert [r.status.value for r in history if r.partition is None] == ["SUCCEEDED", "SUCCEEDED"]  # one a run
    # another thread (SQLite connections belong to theirs) gets a connection of its own and sees the same rows
    seen = []
    reader = threading.Thread(target=lambda: seen.append(len(instance.get_materialized_partitions(key))))
    reader.start()
    reader.join()
    assert seen == [7] and len(opened) > asked
    assert threading.get_ident() not in opened[asked:]


def test_a_table_another_process_adds_later_is_seen_and_one_that_exists_is_not_asked_again(tmp_path):
    storage = KeptConnectionSqliteEventLogStorage(str(tmp_path))
    assert storage.has_table("event_logs") and not storage.has_table("added_later")
    with storage.index_connection() as conn:  # as `dagster instance migrate` would, from elsewhere
        conn.execute(db.text("CREATE TABLE added_later (x INTEGER)"))
    assert storage.has_table("added_later")
    (tmp_path / "index.db").rename(tmp_path / "moved.db")  # asking the file again would now say no
    assert storage.has_table("event_logs") and storage.has_table("added_later")
    storage.dispose()


def test_it_runs_only_on_the_dagster_release_it_was_written_against():
    """It overrides private methods of Dagster's SQLite storage: a Dagster upgrade that renamed one would break the
    webserver and daemon at instance load. The upgrade fails here first, saying what to do."""
    from pipelines.orchestration import event_log_storage

    assert dg.__version__ == event_log_storage.WRITTEN_FOR_DAGSTER, (
        "pipelines/orchestration/event_log_storage.py was written against Dagster "
        f"{event_log_storage.WRITTEN_FOR_DAGSTER} and "
        f"Dagster {dg.__version__} is installed: check the private methods it overrides (_connect, _initdb, "
        "_initialized_dbs, _held_conn) in the new release, run tests/test_event_log_storage.py and "
        "tests/test_webserver.py, then set WRITTEN_FOR_DAGSTER; or drop the event_log_storage section of "
        "dagster_home/dagster.yaml (Dagster's default storage reads the same files)"
    )
    for name in ("_connect", "_initdb", "conn_string_for_shard"):
        assert hasattr(event_log_storage.SqliteEventLogStorage, name), name


def test_dagsters_private_api_is_used_in_that_module_only():
    """Beside it, only the two lazy uses of Dagster's cron parser (pyproject.toml's import contracts name them)."""
    users = sorted(
        str(path.relative_to(ROOT))
        for folder in ("pipelines", "assets")
        for path in (ROOT / folder).rglob("*.py")
        if "from dagster._" in path.read_text() or "import dagster._" in path.read_text()
    )
    assert users == [
        "pipelines/config.py",
        "pipelines/domain/freshness.py",
        "pipelines/orchestration/event_log_storage.py",
    ]
