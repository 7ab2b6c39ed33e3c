"""Bring a sample folder one day forward from a longer sample of the same seed.

The generator's values of a day depend only on the seed, the region and the day, so a sample
generated one day longer agrees with a shorter one on their common days: :func:`append_day`
appends to each CSV file of ``sample`` the lines of ``longer`` that name the new day and are
not in the file already, copies the files ``sample`` lacks (a new year of historique-meteo)
and replaces the other files that differ (the manifest) — what a scheduled download of one
more day does to the source files. The fuel flux snapshot becomes the next day's snapshot
(:func:`~data_collection_kedro.sample_data.fuel.next_fuel_snapshot`): the previous one with the
prices and shortages of the new day, not the longer sample's whole snapshot (the price history
spreads a fixed number of rows over the sample's range, so the longer sample's last price of a
station may fall on a past day the shorter history lacks). Used by the incremental-run
benchmark and the incremental fusion test.
"""

from __future__ import annotations

import filecmp
import shutil
import zipfile
from datetime import date
from pathlib import Path

from .fuel import FUEL_XML_MEMBER, next_fuel_snapshot


def day_formats(day: date) -> tuple[str, ...]:
    """How the sample files write a day: ISO, dd/mm/yyyy, dd/mm/yy."""
    return (day.isoformat(), day.strftime("%d/%m/%Y"), day.strftime("%d/%m/%y"))


def _is_fuel_snapshot(path: Path) -> bool:
    if not zipfile.is_zipfile(path):
        return False
    with zipfile.ZipFile(path) as zf:
        return FUEL_XML_MEMBER in zf.namelist()


def append_day(sample: Path, longer: Path, day: date) -> dict[str, str]:
    """Bring ``sample`` to ``longer`` by one ``day``; what happened to each file."""
    names = day_formats(day)
    done = {}
    for new in sorted(p for p in longer.rglob("*") if p.is_file()):
        rel = new.relative_to(longer)
        old = sample / rel
        if not old.exists():
            old.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(new, old)
            done[str(rel)] = "new file"
        elif _is_fuel_snapshot(new) and _is_fuel_snapshot(old):
            changed = next_fuel_snapshot(old, new, day, old)
            done[str(rel)] = "next day's snapshot: " + ", ".join(
                f"{n} {what}" for what, n in changed.items()
            )
        elif new.suffix != ".csv":
            if not filecmp.cmp(new, old, shallow=False):
                shutil.copy2(new, old)
                done[str(rel)] = "replaced"
        else:
            have = set(old.read_bytes().splitlines())
            lines = [
                line
                for line in new.read_bytes().splitlines()
                if line not in have and any(n.encode() in line for n in names)
            ]
            if lines:
                with old.open("ab") as handle:
                    handle.write(b"\n".join(lines) + b"\n")
                done[str(rel)] = f"+{len(lines)} line(s)"
    return done
