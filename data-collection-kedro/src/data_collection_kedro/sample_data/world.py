"""What every sample writer draws from: the parameters and the shared simulated world.

The generator builds one :class:`SampleWorld` per run (the daily model of each region, the
strikes) and calls the sample writer each source's declaration names
(``Offline.sample_writer``): ``write(out_dir, world, file) -> {file name: rows}``, ``file``
being the declaration's ``sample_file``. Quantities used by several writers (fuel stations and
their price history) are computed once, on first use, by the writer that owns them and kept in
:attr:`SampleWorld.shared` (so this module imports no writer).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd


@dataclass
class SampleWorld:
    seed: int
    first: pd.Timestamp
    last: pd.Timestamp
    names: dict[str, str]  # region code -> official name, the regions of the sample
    dailies: dict[str, pd.DataFrame]  # region code -> daily model (sample_data.model)
    strikes: pd.DataFrame  # strike movements of the years around the range
    fuel_stations: int
    fuel_price_rows: int
    units: dict[str, str] = field(default_factory=dict)  # file -> what its row count counts
    # quantities several writers draw from (e.g. the fuel stations), computed once by their owner
    shared: dict[str, Any] = field(default_factory=dict)

    @property
    def codes(self) -> list[str]:
        return sorted(self.names)
