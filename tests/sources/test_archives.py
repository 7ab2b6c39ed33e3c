"""Hostile archives: a zip bomb, unsafe or extra member names and entity expansion are refused
with an error naming the file and the limit, in bounded memory, offline and live alike."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from data_collection_kedro.datasets.declared_source import SourceReader
from data_collection_kedro.datasets.live_sources import FuelFluxLiveDataset
from data_collection_kedro.datasets.source_files import FuelFluxDataset, ReadOptions
from data_collection_kedro.sources.archives import ArchiveError, ArchiveLimits
from data_collection_kedro.sources.fuel_flux import FuelFluxError, read_fuel_flux_xml
from tests.support.paths import REPO_ROOT

STATION = (
    '<pdv id="59550001" latitude="5012400" longitude="368900" cp="59550" pop="R">'
    "<adresse>Rue</adresse><ville>LANDRECIES</ville>"
    '<prix nom="Gazole" id="1" maj="2023-11-23 07:36:48" valeur="1.785"/></pdv>'
)
FLUX = f'<?xml version="1.0" encoding="ISO-8859-1"?>\n<pdv_liste>{STATION}</pdv_liste>\n'


def zip_of(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def write_bomb(path: Path, inflated_mb: int, declared_mb: float | None = None) -> Path:
    """A valid-looking flux whose member inflates to ``inflated_mb`` MB of blanks; with
    ``declared_mb``, its headers lie about that size."""
    with (
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive,
        archive.open("PrixCarburants_instantane.xml", "w") as member,
    ):
        member.write(b'<?xml version="1.0"?>\n<pdv_liste>')
        blank = b" " * (1 << 20)
        for _ in range(inflated_mb):
            member.write(blank)
        member.write(b"</pdv_liste>")
    if declared_mb is not None:
        data = bytearray(path.read_bytes())
        size = int(declared_mb * 2**20).to_bytes(4, "little")
        local, central = data.find(b"PK\x03\x04"), data.find(b"PK\x01\x02")
        data[local + 22 : local + 26] = size  # uncompressed size, local header
        data[central + 24 : central + 28] = size  # and central directory
        path.write_bytes(bytes(data))
    return path


def test_a_plain_flux_zip_still_reads() -> None:
    frame = read_fuel_flux_xml(zip_of({"PrixCarburants_instantane.xml": FLUX.encode()}))
    assert frame["id"].tolist() == ["59550001"]


@pytest.mark.parametrize(
    ("members", "message"),
    [
        (
            {"../../x.xml": b"<pdv_liste/>"},
            r"member '\.\./\.\./x\.xml' refused: a '\.\.' component",
        ),
        ({"/etc/PrixCarburants_x.xml": b"<pdv_liste/>"}, "refused: an absolute path"),
        ({"C:/PrixCarburants_x.xml": b"<pdv_liste/>"}, "refused: an absolute path"),
        ({"dir\\PrixCarburants_x.xml": b"<pdv_liste/>"}, "refused: a backslash"),
        ({"notes.txt": b"hello"}, r"unexpected member 'notes\.txt'"),
        (
            {"PrixCarburants_instantane.xml": FLUX.encode(), "extra.xml": b"<pdv_liste/>"},
            r"2 members, limit max_members=1",
        ),
        ({}, "the archive is empty"),
    ],
)
def test_unsafe_or_unexpected_members_are_refused(members: dict[str, bytes], message: str) -> None:
    with pytest.raises(ArchiveError, match=rf"snap\.zip: .*{message}"):
        read_fuel_flux_xml(zip_of(members), source_name="snap.zip")


def test_extra_members_pass_when_the_limits_allow_them() -> None:
    limits = ArchiveLimits(max_members=2, members=("PrixCarburants_*.xml",))
    data = zip_of(
        {
            "PrixCarburants_instantane.xml": FLUX.encode(),
            "PrixCarburants_veille.xml": FLUX.encode(),
        }
    )
    frame = read_fuel_flux_xml(data, source_name="snap.zip", limits=limits)
    assert frame["_source_file"].tolist() == [
        "snap.zip:PrixCarburants_instantane.xml",
        "snap.zip:PrixCarburants_veille.xml",
    ]


def test_ratio_and_size_limits_name_the_file_and_the_limit(tmp_path: Path) -> None:
    bomb = write_bomb(tmp_path / "PrixCarburants_instantane.zip", inflated_mb=40)
    assert bomb.stat().st_size < 100_000  # 40 MB of blanks compress ~1000x
    with pytest.raises(
        ArchiveError,
        match=r"PrixCarburants_instantane\.zip: declared compression ratio .* above the limit max_ratio=50",
    ):
        list(FuelFluxDataset(str(bomb)).iter_frames(ReadOptions()))
    small = ArchiveLimits(max_ratio=1e9, max_uncompressed_mb=10)
    with pytest.raises(
        ArchiveError, match=r"uncompressed size above the limit max_uncompressed_mb=10"
    ):
        list(FuelFluxDataset(str(bomb)).iter_frames(ReadOptions(archive=small)))
    with pytest.raises(ArchiveError, match=r"above the limit max_archive_mb=0\.01"):
        list(
            FuelFluxDataset(str(bomb)).iter_frames(
                ReadOptions(archive=ArchiveLimits(max_archive_mb=0.01))
            )
        )


def test_entity_declarations_are_refused() -> None:
    laughs = (
        '<?xml version="1.0"?>\n<!DOCTYPE pdv_liste [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>\n<pdv_liste>&b;</pdv_liste>'
    )
    with pytest.raises(FuelFluxError, match=r"laughs\.xml: DOCTYPE/entity declarations refused"):
        read_fuel_flux_xml(laughs.encode(), source_name="laughs.xml")


BOMB_CHILD = """
import json, sys, time
from data_collection_kedro.datasets.declared_source import SourceReader
from data_collection_kedro.datasets.source_files import FuelFluxDataset, ReadOptions
from data_collection_kedro.sources.archives import ArchiveLimits
from data_collection_kedro.sources.errors import SourceError

limits = ArchiveLimits(**json.loads(sys.argv[2]))
reader = SourceReader(FuelFluxDataset(sys.argv[1]))
try:
    for frame in reader.frames(ReadOptions(archive=limits)):
        pass
except SourceError as exc:
    print("REFUSED " + str(exc))
# the peak resident memory of this process image (VmHWM starts afresh at exec, unlike
# ru_maxrss, which Linux carries over from the forking parent)
status = open("/proc/self/status").read()
print("PEAK_KB " + status.split("VmHWM:")[1].split()[0])
"""


@pytest.mark.parametrize(
    ("declared_mb", "limits", "expected"),
    [
        # honest headers: the size is refused before anything is inflated
        (None, {}, "declared uncompressed size above the limit max_uncompressed_mb=256"),
        # headers claiming 1 MB: inflated chunk by chunk, refused when the data outgrows them
        (1, {"max_ratio": 1e9}, "is corrupt"),
    ],
    ids=["declared", "lying-headers"],
)
def test_a_zip_bomb_fails_fast_in_bounded_memory(
    tmp_path: Path, declared_mb: float | None, limits: dict, expected: str
) -> None:
    """The 300 MB member is never held: the child process's peak RSS stays far below it."""
    bomb = write_bomb(tmp_path / "PrixCarburants_instantane.zip", 300, declared_mb)
    child = subprocess.run(
        [sys.executable, "-c", BOMB_CHILD, str(bomb), json.dumps(limits)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    out, err = child.stdout, child.stderr
    assert child.returncode == 0, err[-2000:]
    assert "REFUSED PrixCarburants_instantane.zip:" in out, out + err[-2000:]
    assert expected in out, out
    peak_mb = int(out.split("PEAK_KB ")[1].split()[0]) / 1024
    assert peak_mb < 250, f"peak RSS {peak_mb:.0f} MB for a 300 MB member"


def test_the_live_flux_goes_through_the_same_limits(httpserver: HTTPServer, tmp_path: Path) -> None:
    bomb = write_bomb(tmp_path / "bomb.zip", inflated_mb=40).read_bytes()
    httpserver.expect_request("/opendata/instantane").respond_with_data(
        bomb, content_type="application/zip"
    )
    live = FuelFluxLiveDataset(
        url=httpserver.url_for("/opendata/instantane"), retry={"attempts": 1}
    )
    reader = SourceReader(live)
    with pytest.raises(
        ArchiveError, match=r"instantane: declared compression ratio .* max_ratio=50"
    ):
        list(reader.frames(ReadOptions()))
    small = ReadOptions(archive=ArchiveLimits(max_archive_mb=0.01))
    with pytest.raises(Exception, match=r"body larger than the limit of 10,485 bytes"):
        list(reader.frames(small))
