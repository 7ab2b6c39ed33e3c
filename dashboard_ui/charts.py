"""Charts shared by the pages: French locale, readable sizes, the forecast band, the maps.

Every chart goes through :func:`show` (French number and date formats, full width, a real
height). The maps are Vega-Lite ``geoshape`` layers on the region outlines shipped with the
package (:func:`data_collection_kedro.domain.regions.region_outlines`): no tile server.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from dashboard_ui.formatting import VEGA_LOCALE
from data_collection_kedro.domain.regions import region_outlines

# one colour per meaning, on every page
ACTUAL_COLOR = "#1f3b73"
FORECAST_COLOR = "#e07b00"
BAND_COLOR = "#f6c48f"
ANOMALY_COLOR = "#d62728"
NEUTRAL_COLOR = "#c9ced6"
MAP_WIDTH, MAP_HEIGHT = 420, 400
# an Altair chart of any kind (altair's own annotations are too narrow for composed charts)
AltairChart = Any

AXIS_DAY = alt.Axis(format="%d/%m", labelAngle=0, title=None, tickCount=8)
AXIS_MONTH = alt.Axis(
    format="%b %Y", labelAngle=0, title=None, tickCount={"interval": "month", "step": 1}
)


def french(chart: AltairChart) -> AltairChart:
    """``chart`` with the French number and date locale and the project's fonts."""
    return (
        chart.configure(locale=VEGA_LOCALE)
        .configure_axis(labelFontSize=12, titleFontSize=12)
        .configure_legend(labelFontSize=12, titleFontSize=12, labelLimit=320, titleLimit=320)
    )


def show(chart: AltairChart, *, key: str | None = None, stretch: bool = True) -> None:
    """Draw ``chart`` in French, as wide as its container (``stretch``) or at its own width
    (maps: a projection keeps its aspect ratio).

    A stretched chart fits its width only (``fit-x``): its ``height`` is the plot's, the
    legend and axes come on top. Streamlit's default (``fit``) squeezes the plot into the
    height, leaving a few pixels once a bottom legend and the axes are drawn.
    """
    autosize = alt.AutoSizeParams(type="fit-x" if stretch else "pad", contains="padding")
    st.altair_chart(
        french(chart.properties(autosize=autosize)),
        width="stretch" if stretch else "content",
        key=key,
    )


def series_color(
    domain: Sequence[str], colors: Sequence[str], title: str | None = None
) -> alt.Color:
    """A colour legend whose entries are the French series names of ``domain``."""
    return alt.Color(
        "series:N",
        title=title,
        scale=alt.Scale(domain=list(domain), range=list(colors)),
        legend=alt.Legend(orient="bottom", direction="horizontal"),
    )


def forecast_band_chart(
    actual: pd.DataFrame, forecast: pd.DataFrame, unit: str, height: int = 260
) -> AltairChart:
    """Observed days (``day``, ``value``) then the forecast (``day``, ``p50`` and, when present,
    ``p10`` / ``p90``): the P10–P90 band shaded, P50 dashed, actuals solid."""
    y_title = f"Consommation ({unit})"
    has_band = {"p10", "p90"} <= set(forecast.columns) and bool(
        forecast[["p10", "p90"]].notna().any().all()
    )
    names = [
        "Réel",
        *(["Prévision P50"] if len(forecast) else []),
        *(["Intervalle P10–P90"] if has_band else []),
    ]
    palette = {
        "Réel": ACTUAL_COLOR,
        "Prévision P50": FORECAST_COLOR,
        "Intervalle P10–P90": BAND_COLOR,
    }
    color = series_color(names, [palette[n] for n in names])
    x = alt.X("day:T", axis=AXIS_DAY)
    day_tip = alt.Tooltip("day:T", title="Jour", format="%d/%m/%Y")

    def value_tip(field: str, title: str) -> alt.Tooltip:
        return alt.Tooltip(f"{field}:Q", title=f"{title} ({unit})", format=",.0f")

    layers: list[alt.Chart] = []
    if has_band:
        layers.append(
            alt.Chart(forecast.assign(series="Intervalle P10–P90"))
            .mark_area(opacity=0.6)
            .encode(
                x=x,
                y=alt.Y("p10:Q", title=y_title, scale=alt.Scale(zero=False)),
                y2="p90:Q",
                color=color,
                tooltip=[day_tip, value_tip("p10", "P10"), value_tip("p90", "P90")],
            )
        )
    layers.append(
        alt.Chart(actual.assign(series="Réel"))
        .mark_line(point=alt.OverlayMarkDef(size=30), strokeWidth=2.5)
        .encode(
            x=x,
            y=alt.Y("value:Q", title=y_title, scale=alt.Scale(zero=False)),
            color=color,
            tooltip=[day_tip, value_tip("value", "Réel")],
        )
    )
    if len(forecast) == 0:
        return alt.layer(*layers).properties(height=height)
    layers.append(
        alt.Chart(forecast.assign(series="Prévision P50"))
        .mark_line(strokeDash=[6, 3], strokeWidth=2.5, point=alt.OverlayMarkDef(size=30))
        .encode(
            x=x,
            y=alt.Y("p50:Q", title=y_title, scale=alt.Scale(zero=False)),
            color=color,
            tooltip=[day_tip, value_tip("p50", "Prévision P50")],
        )
    )
    return alt.layer(*layers).properties(height=height)


def _outline_features() -> list[dict[str, Any]]:
    return list(region_outlines()["features"])


def choropleth(
    values: pd.DataFrame,
    color: alt.Color,
    tooltip: Sequence[alt.Tooltip],
    *,
    label: str | None = None,
    title: str | None = None,
    highlight: str | None = None,
) -> AltairChart:
    """A map of the 13 regions coloured by ``values`` (one row per ``region_code``).

    Regions without a row are drawn in grey (no data). ``color`` and ``tooltip`` name columns of
    ``values``; ``label`` is a column written at each region's label point; ``highlight`` is a
    region code outlined in black.
    """
    data = values.assign(has_value=True)
    fields = [c for c in data.columns if c != "region_code"]
    outlines = alt.Data(values=_outline_features())
    region_tip = alt.Tooltip("properties.region:N", title="Région")
    base = (
        alt.Chart(outlines)
        .mark_geoshape(fill=NEUTRAL_COLOR, stroke="white", strokeWidth=0.8)
        .encode(tooltip=[region_tip])
    )
    filled = (
        alt.Chart(outlines)
        .transform_lookup(
            lookup="properties.region_code", from_=alt.LookupData(data, "region_code", fields)
        )
        .transform_filter("datum.has_value === true")
        .mark_geoshape(stroke="white", strokeWidth=0.8)
        .encode(color=color, tooltip=[region_tip, *tooltip])
    )
    layers: list[alt.Chart] = [base, filled]
    if highlight is not None:
        layers.append(
            alt.Chart(outlines)
            .transform_filter(f"datum.properties.region_code === {json.dumps(highlight)}")
            .mark_geoshape(fill=None, stroke="black", strokeWidth=2.2)
        )
    if label is not None:
        points = pd.DataFrame(
            [
                {
                    "region_code": f["properties"]["region_code"],
                    "lon": f["properties"]["label_lon"],
                    "lat": f["properties"]["label_lat"],
                }
                for f in _outline_features()
            ]
        ).merge(values[["region_code", label]], on="region_code")
        text = alt.Chart(points).encode(longitude="lon:Q", latitude="lat:Q", text=f"{label}:N")
        # a white halo under each label keeps it readable on dark colours
        layers.append(
            text.mark_text(
                fontSize=11, fontWeight="bold", stroke="white", strokeWidth=3, opacity=0.85
            )
        )
        layers.append(text.mark_text(fontSize=11, fontWeight="bold", color="#111111"))
    # a Lambert-93-like conic projection of mainland France and Corsica
    chart = (
        alt.layer(*layers)
        .project(type="conicConformal", rotate=[-3, 0], parallels=[44, 49])
        .properties(width=MAP_WIDTH, height=MAP_HEIGHT)
    )
    return chart.properties(title=title) if title else chart


def anomaly_curve_chart(
    curve: pd.DataFrame,
    flagged: pd.DataFrame,
    unit: str,
    labelled: pd.DataFrame | None = None,
    height: int = 340,
) -> AltairChart:
    """A region's daily consumption (``curve``: ``day, actual, expected``) with its anomalous
    days drawn on top as large red dots (``flagged``: ``day, actual, expected, gap_pct,
    explanation, anomaly_score``); ``labelled`` (``day, actual``) rings the days the sample's
    ground truth marks as anomalies."""
    y_title = f"Consommation ({unit})"
    names = ["Consommation", "Attendu (médiane des jours voisins)", "Anomalie détectée"]
    colors = [ACTUAL_COLOR, "#8a8f98", ANOMALY_COLOR]
    if labelled is not None and len(labelled):
        names.append("Anomalie injectée (échantillon étiqueté)")
        colors.append("#111111")
    color = series_color(names, colors)
    x = alt.X("day:T", axis=AXIS_MONTH)
    day_tip = alt.Tooltip("day:T", title="Jour", format="%d/%m/%Y")
    long = pd.concat(
        [
            curve[["day", "actual"]].rename(columns={"actual": "value"}).assign(series=names[0]),
            curve[["day", "expected"]]
            .rename(columns={"expected": "value"})
            .assign(series=names[1]),
        ],
        ignore_index=True,
    )
    lines = (
        alt.Chart(long)
        .mark_line(strokeWidth=1.4)
        .encode(
            x=x,
            y=alt.Y("value:Q", title=y_title, scale=alt.Scale(zero=False)),
            color=color,
            strokeDash=alt.StrokeDash(
                "series:N",
                scale=alt.Scale(domain=names[:2], range=[[1, 0], [5, 3]]),
                legend=None,
            ),
            tooltip=[day_tip, alt.Tooltip("value:Q", title=unit, format=",.0f")],
        )
    )
    layers: list[Any] = [lines]
    if labelled is not None and len(labelled):
        layers.append(
            alt.Chart(labelled.assign(series=names[3]))
            .mark_point(shape="diamond", size=260, strokeWidth=2, filled=False)
            .encode(
                x=x,
                y="actual:Q",
                color=color,
                tooltip=[day_tip, alt.Tooltip("kind:N", title="Anomalie injectée")],
            )
        )
    layers.append(
        alt.Chart(flagged.assign(series=names[2]))
        .mark_circle(size=140, opacity=1, stroke="white", strokeWidth=1.5)
        .encode(
            x=x,
            y="actual:Q",
            color=color,
            tooltip=[
                day_tip,
                alt.Tooltip("actual:Q", title=f"Réel ({unit})", format=",.0f"),
                alt.Tooltip("expected:Q", title=f"Attendu ({unit})", format=",.0f"),
                alt.Tooltip("gap_pct:Q", title="Écart (%)", format="+.1f"),
                alt.Tooltip("explanation:N", title="Indicateur qui l'explique"),
                alt.Tooltip("anomaly_score:Q", title="Sévérité", format=".2f"),
            ],
        )
    )
    return alt.layer(*layers).properties(height=height)


def count_map(
    counts: pd.DataFrame, title: str, value_title: str, highlight: str | None = None
) -> AltairChart:
    """A choropleth of a count per region (``region_code``, ``count``)."""
    data = counts.assign(label=counts["count"].astype(int).astype(str))
    # a domain of at least [0, 1]: when every count is 0 the map stays pale
    top = max(1, int(counts["count"].max() or 0))
    # whole numbers on the legend: at most 5 distinct ticks (no "0 0 0 1 1" for a small count)
    ticks = sorted({round(top * k / 4) for k in range(5)})
    return choropleth(
        data[["region_code", "count", "label"]],
        alt.Color(
            "count:Q",
            title=value_title,
            scale=alt.Scale(scheme="reds", domain=[0, top]),
            legend=alt.Legend(format=",d", orient="bottom", gradientLength=300, values=ticks),
        ),
        [alt.Tooltip("count:Q", title=value_title, format=",d")],
        label="label",
        title=title,
        highlight=highlight,
    )


NOISE_LABEL = "Hors groupe (bruit)"
GROUP_COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf"]


def group_label(cluster: int) -> str:
    """``Groupe 1`` for cluster 0; DBSCAN's noise (``-1``) is "hors groupe"."""
    return NOISE_LABEL if int(cluster) == -1 else f"Groupe {int(cluster) + 1}"


def sorted_groups(groups: Any) -> list[str]:
    return sorted(set(groups), key=lambda g: (g == NOISE_LABEL, len(g), g))


def group_colors(groups: Sequence[str]) -> list[str]:
    """One colour per group, grey for the regions out of every group."""
    palette = iter(GROUP_COLORS * 3)
    return [NEUTRAL_COLOR if g == NOISE_LABEL else next(palette) for g in groups]


def cluster_map(clusters: pd.DataFrame, title: str, highlight: str | None = None) -> AltairChart:
    """The group of each region (``region_code``, ``group``)."""
    groups = sorted_groups(clusters["group"])
    return choropleth(
        clusters[["region_code", "group"]],
        alt.Color(
            "group:N",
            title="Groupe",
            scale=alt.Scale(domain=groups, range=group_colors(groups)),
            legend=alt.Legend(orient="bottom", columns=2),
        ),
        [alt.Tooltip("group:N", title="Groupe")],
        title=title,
        highlight=highlight,
    )


def value_map(
    values: pd.DataFrame,
    title: str,
    value_title: str,
    value_format: str,
    scheme: Any = "blues",
    highlight: str | None = None,
) -> AltairChart:
    """A choropleth of a value per region (``region_code``, ``value``, ``label``: the text
    written on the map)."""
    return choropleth(
        values[["region_code", "value", "label"]],
        alt.Color(
            "value:Q",
            title=value_title,
            scale=alt.Scale(scheme=scheme),
            legend=alt.Legend(
                format=value_format, orient="bottom", gradientLength=300, tickCount=4
            ),
        ),
        [alt.Tooltip("value:Q", title=value_title, format=value_format)],
        label="label",
        title=title,
        highlight=highlight,
    )
