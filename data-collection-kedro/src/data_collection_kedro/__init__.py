"""EnergieWatch data platform (Kedro project ``data-collection-kedro``)."""

__version__ = "0.1.0"
