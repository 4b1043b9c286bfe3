"""The production configuration in deploy/ loads: instance config against Dagster's schema and each
configurable class's own schema, and the code location with production-style settings."""

import sys
from pathlib import Path

import dagster as dg
import yaml
from dagster._config import process_config
from dagster._core.instance.config import dagster_instance_config
from dagster._serdes import ConfigurableClass
from dagster._serdes.config_class import class_from_code_pointer

from pipelines.config import Runtime
from pipelines.definitions import build_definitions

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
ENV = {
    "DAGSTER_PG_HOST": "pg.internal",
    "DAGSTER_PG_PORT": "5432",
    "DAGSTER_PG_USER": "dagster",
    "DAGSTER_PG_PASSWORD": "x",
    "DAGSTER_PG_DB": "dagster",
    "MARKET_MONITOR_IMAGE": "registry.example/market-monitor:1",
}


def test_instance_config_validates_with_its_classes(monkeypatch):
    for k, v in ENV.items():
        monkeypatch.setenv(k, v)
    config, custom_class = dagster_instance_config(str(DEPLOY))
    assert custom_class is None
    assert config["concurrency"]["pools"]["default_limit"] == 1
    raw = yaml.safe_load((DEPLOY / "dagster.yaml").read_text())
    sections = [
        {**raw["run_coordinator"], "config": {}},
        raw["run_launcher"],
        raw["run_storage"],
        raw["event_log_storage"],
        raw["schedule_storage"],
    ]
    for section in sections:
        cls = class_from_code_pointer(section["module"], section["class"])
        assert issubclass(cls, ConfigurableClass)
        result = process_config(cls.config_type(), section["config"])
        assert result.success, (section["class"], result.errors)


def test_the_url_dagster_builds_names_the_driver_the_lock_installs(monkeypatch):
    """SQLAlchemy 2.1 reads `postgresql://` as psycopg 3; the lock installs psycopg2: the shipped config failed its
    first run with `No module named 'psycopg'`. The URL now names psycopg2, and its driver loads (no server needed)."""
    import sqlalchemy
    from dagster_postgres.utils import pg_url_from_config

    for k, v in ENV.items():
        monkeypatch.setenv(k, v)
    raw = yaml.safe_load((DEPLOY / "dagster.yaml").read_text())
    for section in ("run_storage", "event_log_storage", "schedule_storage"):
        cls = class_from_code_pointer(raw[section]["module"], raw[section]["class"])
        config = process_config(cls.config_type(), raw[section]["config"]).value
        url = pg_url_from_config(config)
        assert url.startswith("postgresql+psycopg2://dagster:x@pg.internal:5432/dagster"), url
        assert sqlalchemy.create_engine(url).dialect.driver == "psycopg2"


def test_workspace_points_at_the_same_code_location():
    workspace = yaml.safe_load((DEPLOY / "workspace.yaml").read_text())
    assert workspace["load_from"][0]["grpc_server"]["port"] == 4000
    assert "pipelines.definitions" in (DEPLOY / "Dockerfile").read_text()


def test_definitions_load_with_production_settings(tmp_path, monkeypatch):
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-prod")
    monkeypatch.setenv("SLACK_CHANNEL", "#alerts")
    defs = build_definitions(Runtime(tmp_path / "prod.duckdb", "yfinance", None))
    dg.Definitions.validate_loadable(defs)
    sensor = defs.resolve_sensor_def("slack_on_run_failure")
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING


def test_the_dockerfile_passes_hadolint_and_keeps_the_developers_files_out():
    """No Docker engine here to build it: hadolint (the dev extra installs it) checks it offline."""
    import shutil
    import subprocess

    hadolint = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    done = subprocess.run([hadolint, str(DEPLOY / "Dockerfile")], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    ignored = (DEPLOY.parent / ".dockerignore").read_text().split()
    assert {".venv", "data", "dagster_home/history", ".git"} <= set(ignored)
