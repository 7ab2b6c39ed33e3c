"""Special parsing of sources whose format the declarative rules cannot express.

One module per source that needs one, named by its declaration (``prepare``/``derive`` hooks
of a table, or a ``parser`` for a source feeding several tables).
"""
