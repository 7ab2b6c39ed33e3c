"""The offline holidays source: its ``ingested_files`` figures are known before it is built."""

from __future__ import annotations

from data_collection_kedro.datasets.source_files import (
    FILE_DIGESTS_ATTR,
    HOLIDAYS_FRAME_NAME,
    HolidaysSourceDataset,
)


def test_digest_before_building_is_the_built_frames() -> None:
    dataset = HolidaysSourceDataset(start_year=2023, end_year=2024)
    before = dataset.generated_digests()[HOLIDAYS_FRAME_NAME]
    frame = dataset.load()
    built = frame.attrs[FILE_DIGESTS_ATTR][HOLIDAYS_FRAME_NAME]
    assert before["crc32"] == built["crc32"]
    assert before["size"] is None  # the rows are not known before building
    assert built["size"] == built["lines"] == len(frame) > 0


def test_digest_follows_the_year_range() -> None:
    def crc(start: int, end: int) -> int:
        digests = HolidaysSourceDataset(start_year=start, end_year=end).generated_digests()
        return int(digests[HOLIDAYS_FRAME_NAME]["crc32"])

    assert crc(2023, 2024) == crc(2023, 2024)
    assert crc(2023, 2024) != crc(2023, 2025)
    assert crc(2023, 2024) != crc(2022, 2024)


def test_digest_is_the_same_in_another_process() -> None:
    """The recipe holds nothing of the process (no object addresses): a later run finds it."""
    import subprocess
    import sys

    code = (
        "from data_collection_kedro.datasets.source_files import HOLIDAYS_FRAME_NAME, "
        "HolidaysSourceDataset as H; "
        "print(H(start_year=2023, end_year=2024).generated_digests()[HOLIDAYS_FRAME_NAME]['crc32'])"
    )
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    here = HolidaysSourceDataset(start_year=2023, end_year=2024).generated_digests()
    assert int(other.stdout.strip()) == here[HOLIDAYS_FRAME_NAME]["crc32"]
