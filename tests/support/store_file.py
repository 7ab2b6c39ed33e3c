"""Whether another process gets the embedded store's file (the store tests and hook tests)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def other_process_can_write(database: Path) -> bool:
    """Another Python process opens ``database`` read-write right now (DuckDB's file lock)."""
    code = (
        "import duckdb, sys\n"
        "try:\n"
        f"    duckdb.connect({str(database)!r}).execute('SELECT 1').fetchall()\n"
        "except duckdb.IOException:\n"
        "    sys.exit(3)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], timeout=60, check=False)
    assert done.returncode in (0, 3)
    return done.returncode == 0
