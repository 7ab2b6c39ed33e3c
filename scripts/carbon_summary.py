"""Carbon footprint summary of the pipeline runs (``make carbon-report``).

Reads the carbon hook's files (``emissions_<pipeline>.csv``, ``emissions_nodes.csv``) and
writes a terminal table plus Markdown, JSON and PNG charts to ``reports/carbon/``.
``--help`` lists the options; the logic is in ``data_collection_kedro.carbon.summary``.
"""

import sys

from data_collection_kedro.reporting.carbon_report import main

if __name__ == "__main__":
    sys.exit(main())
