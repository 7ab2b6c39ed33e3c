"""Per-model view of the ``model_monitoring`` rows (pure function, no I/O)."""

from __future__ import annotations

import pandas as pd

SUMMARY_COLUMNS = [
    "application",
    "model_name",
    "success_count",
    "error_count",
    "error_rate_pct",
    "median_response_time_ms",
    "median_cpu_percent",
    "max_memory_mb",
    "last_logged_at",
]


def summarize_predictions(monitoring: pd.DataFrame) -> pd.DataFrame:
    """Success/failure counts and median response time per application and model."""
    if monitoring.empty:
        return pd.DataFrame(columns=SUMMARY_COLUMNS)
    frame = monitoring.assign(
        is_success=monitoring["status"].eq("success"),
        is_error=monitoring["status"].eq("error"),
        response_time_ms=pd.to_numeric(monitoring["response_time_ms"], errors="coerce"),
        cpu_percent=pd.to_numeric(monitoring["cpu_percent"], errors="coerce"),
        memory_mb=pd.to_numeric(monitoring["memory_mb"], errors="coerce"),
        application=monitoring["application"].fillna("inconnue"),
    )
    grouped = frame.groupby(["application", "model_name"], sort=True)
    summary = grouped.agg(
        success_count=("is_success", "sum"),
        error_count=("is_error", "sum"),
        median_response_time_ms=("response_time_ms", "median"),
        median_cpu_percent=("cpu_percent", "median"),
        max_memory_mb=("memory_mb", "max"),
        last_logged_at=("logged_at", "max"),
    ).reset_index()
    total = summary["success_count"] + summary["error_count"]
    summary["error_rate_pct"] = (100.0 * summary["error_count"] / total.where(total > 0)).round(1)
    summary["success_count"] = summary["success_count"].astype(int)
    summary["error_count"] = summary["error_count"].astype(int)
    return summary[SUMMARY_COLUMNS]
