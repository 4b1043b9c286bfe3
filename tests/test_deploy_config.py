"""The production configuration in deploy/ loads: instance config against Dagster's schema and each
configurable class's own schema, and the code location with production-style settings."""

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
        {"module": "dagster_postgres", "class": "DagsterPostgresStorage", "config": raw["storage"]["postgres"]},
    ]
    for section in sections:
        cls = class_from_code_pointer(section["module"], section["class"])
        assert issubclass(cls, ConfigurableClass)
        result = process_config(cls.config_type(), section["config"])
        assert result.success, (section["class"], result.errors)


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
