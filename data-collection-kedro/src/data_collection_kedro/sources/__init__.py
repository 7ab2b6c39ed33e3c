"""Data sources: the registry of declared sources and the code their formats need.

- ``registry``, ``rules``: the declaration dataclasses and value rules (plain data);
- ``declarations/``: one module per source (``SOURCE = Source(...)``), discovered;
- ``parsers/``: per-source hooks and parsers for what the rules cannot express;
- ``http``, ``opendatasoft``, ``fuel_flux``, ``fuel_ods``, ``holidays_live``: the clients and
  readers of the sources' formats.

``python -m data_collection_kedro.sources`` lists the declared sources.
"""
