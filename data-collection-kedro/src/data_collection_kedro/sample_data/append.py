"""Bring a sample folder one day forward from a longer sample of the same seed.

The generator's values of a day depend only on the seed, the region and the day, so a sample
generated one day longer agrees with a shorter one on their common days: :func:`append_day`
appends to each CSV file of ``sample`` the lines of ``longer`` that name the new day and are
not in the file already, copies the files ``sample`` lacks (a new year of historique-meteo)
and replaces the other files that differ (the fuel flux snapshot, the manifest) — what a
scheduled download of one more day does to the source files. One exception: the fuel price
history spreads a fixed number of rows over the sample's range, so the longer sample's flux
snapshot (each station's last prices) holds prices of past days the shorter history lacks;
``keep`` leaves such a file as it is. Used by the incremental-run
benchmark and the incremental fusion test.
"""

from __future__ import annotations

import filecmp
import shutil
from datetime import date
from pathlib import Path


def day_formats(day: date) -> tuple[str, ...]:
    """How the sample files write a day: ISO, dd/mm/yyyy, dd/mm/yy."""
    return (day.isoformat(), day.strftime("%d/%m/%Y"), day.strftime("%d/%m/%y"))


def append_day(sample: Path, longer: Path, day: date, keep: tuple[str, ...] = ()) -> dict[str, str]:
    """Bring ``sample`` to ``longer`` by one ``day``; what happened to each file. The files
    named in ``keep`` (paths relative to the folder) are left as they are."""
    names = day_formats(day)
    done = {}
    for new in sorted(p for p in longer.rglob("*") if p.is_file()):
        rel = new.relative_to(longer)
        old = sample / rel
        if str(rel) in keep:
            done[str(rel)] = "kept"
        elif not old.exists():
            old.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(new, old)
            done[str(rel)] = "new file"
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
