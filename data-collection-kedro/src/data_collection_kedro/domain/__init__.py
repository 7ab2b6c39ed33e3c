"""Domain rules of French energy data, shared by the pipelines, the dashboard and the scripts.

- :mod:`.regions`: the 13 metropolitan regions, pre-2016 regions, departments, school zones;
- :mod:`.normalization`: region, day, status, operator and fuel spellings; data-quality rows;
- :mod:`.consumption`: half-hourly electricity and hourly gas to daily regional MWh;
- :mod:`.weather`: daily regional weather from the two weather sources;
- :mod:`.calendar`: strikes, public and school holidays, calendar fields of a day;
- :mod:`.fuel`: daily fuel prices per department and fuel;
- :mod:`.features`: the feature rules shared by training and serving (heating degree days,
  calendar fields, holidays, weather smoothing, consumption history);
- :mod:`.contracts`: name, key and typed columns of every index and model-output table.

Nothing here does I/O; the pipelines wire these rules to datasets.
"""
