"""The asset graph, one list shared by the UI, the schedule and the CLI (one code path)."""

from __future__ import annotations

from assets.alerting import build_alerting_assets, build_publish_asset
from assets.analytics import build_analytics_assets
from assets.market_data import build_market_data_assets
from assets.partitions import session_partitions
from pipelines.config import MonitorConfig


def build_assets(cfg: MonitorConfig) -> list:
    partitions = session_partitions(cfg.history.start)
    return [
        *build_market_data_assets(cfg, partitions),
        *build_analytics_assets(cfg, partitions),
        *build_alerting_assets(cfg, partitions),
        build_publish_asset(cfg, partitions),
    ]
