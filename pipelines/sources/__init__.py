"""Market-data sources behind one narrow interface returning tidy long tables.

`SOURCES` is the one list of sources: config validation and the CLI's --source choices come from it.
"""

from pipelines.sources.base import Fundamentals, PriceBatch, Source, SourceError
from pipelines.sources.replay import ReplaySource
from pipelines.sources.yahoo import YFinanceSource

SOURCES: dict[str, type] = {cls.name: cls for cls in (YFinanceSource, ReplaySource)}
DEFAULT_SOURCE = YFinanceSource.name

__all__ = ["DEFAULT_SOURCE", "SOURCES", "Fundamentals", "PriceBatch", "Source", "SourceError", "build_source"]


def build_source(name: str, folder, cache_dir, timeout: float) -> Source:
    return SOURCES[name].from_settings(folder, cache_dir, timeout)
