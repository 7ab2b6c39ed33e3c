"""Empty and BOM-only uploads are refused clearly; feedback comments that a spreadsheet would run
as formulas are neutralized on storage and on export (issue #13 item 9)."""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest

from dashboard_ui.upload import UploadError, UploadLimits, read_consumption_csv
from data_collection_kedro.monitoring import feedback_csv, spreadsheet_safe, validate_feedback

from .test_app_pages import open_page, store, texts

LIMITS = UploadLimits(max_bytes=5 * 2**20, max_rows=1000)
BOM = b"\xef\xbb\xbf"


@pytest.mark.parametrize(
    "content",
    [b"", BOM, BOM + b"\r\n\r\n", b"  \n\t\n", BOM + b"   "],
    ids=["empty", "bom-only", "bom-blank-lines", "blank", "bom-spaces"],
)
def test_empty_uploads_are_refused_with_a_message(content: bytes) -> None:
    with pytest.raises(UploadError, match=r"conso\.csv : fichier vide \(aucune ligne d'en-tête\)"):
        read_consumption_csv("conso.csv", content, LIMITS)


def test_a_bom_only_upload_on_the_page_shows_the_message(app_test) -> None:
    at = open_page(app_test, "anomalies.py")
    at.file_uploader(key="anomaly_upload").set_value(("conso.csv", BOM, "text/csv")).run()
    assert not at.exception, at.exception  # an IndexError before
    assert "conso.csv : fichier vide" in texts(at.error)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ('=HYPERLINK("http://x.example","clic")', '\'=HYPERLINK("http://x.example","clic")'),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("\t=1+1", "'=1+1"),  # stripped first, then neutralized
        ("\r=1+1", "'=1+1"),
        ("Trop haut = surestimé", "Trop haut = surestimé"),
    ],
)
def test_formula_comments_are_neutralized_on_storage(typed: str, stored: str) -> None:
    row = validate_feedback(
        page="p",
        model_name="m",
        model_version="1",
        prediction_value=1.0,
        rating=3,
        comment=typed,
    )
    assert row["comment"] == stored


@pytest.mark.parametrize("lead", ["=", "+", "-", "@", "\t", "\r"])
def test_every_formula_lead_is_neutralized(lead: str) -> None:
    assert spreadsheet_safe(f"{lead}cmd") == f"'{lead}cmd"


def test_export_neutralizes_rows_stored_before(tmp_path) -> None:
    legacy = pd.DataFrame(
        {
            "feedback_id": ["a", "b"],
            "comment": ["=cmd|' /C calc'!A0", "ok"],
            "rating": [1, 5],
        }
    )
    rows = list(csv.reader(io.StringIO(feedback_csv(legacy).decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["feedback_id", "comment", "rating"]
    assert rows[1] == ["a", "'=cmd|' /C calc'!A0", "1"]
    assert rows[2] == ["b", "ok", "5"]


def test_feedback_page_stores_and_exports_neutralized(app_test) -> None:
    at = open_page(app_test, "feedback.py")
    at.slider(key="feedback_rating").set_value(1)
    at.text_area(key="feedback_comment").set_value("=1+2")
    at.button[0].click().run()
    assert not at.exception, at.exception
    assert store().feedback().iloc[0]["comment"] == "'=1+2"
    shown = at.dataframe[-1].value
    assert list(shown["Commentaire"]) == ["'=1+2"]
