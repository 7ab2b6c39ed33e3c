"""What every sample writer draws from: the parameters and the shared simulated world.

The generator builds one :class:`SampleWorld` per run (the daily model of each region, the
strikes) and calls the sample writer each source's declaration names
(``Offline.sample_writer``): ``write(out_dir, world, file) -> {file name: rows}``, ``file``
being the declaration's ``sample_file``. Quantities used by several writers (fuel stations and
their price history) are computed once, on first use.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

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

    @property
    def codes(self) -> list[str]:
        return sorted(self.names)

    @cached_property
    def stations(self) -> pd.DataFrame:
        from .fuel import build_stations

        return build_stations(self.seed, self.codes, self.fuel_stations)

    @cached_property
    def prices(self) -> pd.DataFrame:
        from .fuel import build_price_history

        return build_price_history(
            self.seed, self.stations, self.fuel_price_rows, self.first, self.last
        )
