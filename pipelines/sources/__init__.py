"""Market-data sources behind one narrow interface returning tidy long tables."""

from pipelines.sources.base import Fundamentals, PriceBatch, Source, SourceError, build_source

__all__ = ["Fundamentals", "PriceBatch", "Source", "SourceError", "build_source"]
