"""Source declarations: one module per source, each defining ``SOURCE = Source(...)``.

Modules are discovered by :func:`data_collection_kedro.sources.registry.load`; a module whose
name starts with ``_`` holds declarations shared by several sources (families, portals).
"""
