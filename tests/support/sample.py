"""Parameters of the small sample the session generates once (``small_sample_dir``)."""

# Small but complete sample: two regions with two gas operators (84, 75), two with one.
SMALL_SAMPLE = {
    "start": "2021-01-01",
    "end": "2023-12-31",
    "regions": ["11", "53", "75", "84"],
    "fuel_stations": 200,
    "fuel_price_rows": 20_000,
    "seed": 7,
}
