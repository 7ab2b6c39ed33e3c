"""Carburants: daily fuel prices by fuel and region (``prix_carburants_journalier``).

A region's price of a fuel on a day is the median price of its departments weighted by their
station counts; the map compares the regions on the last day of the period.
"""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from dashboard_ui import charts
from dashboard_ui import formatting as fr
from dashboard_ui.components import chosen_region, period_input, show_table, show_unavailable
from dashboard_ui.services import UnavailableError, fuel_prices_by_region
from dashboard_ui.tables import latest_per_group
from data_collection_kedro.domain.regions import REGION_BY_CODE

DEFAULT_FUELS = ("Gazole", "SP95", "E10")


def _euros(value: object, decimals: int = 3) -> str:
    return fr.quantity(value, "€/L", decimals)


def render() -> None:
    st.title("Prix des carburants")
    st.caption(
        "Prix journaliers par carburant et par région (médiane des départements pondérée par "
        "leur nombre de stations), en euros par litre."
    )
    try:
        prices = fuel_prices_by_region()
    except UnavailableError as exc:
        show_unavailable(exc)
        return
    if prices.empty:
        st.info("La table des prix des carburants est vide.")
        return
    fuels = sorted(prices["fuel"].astype(str).unique())
    first, last = prices["day"].min().date(), prices["day"].max().date()
    fuel_col, period_col, region_col = st.columns([1.6, 1.3, 1.1])
    with fuel_col:
        chosen = st.multiselect(
            "Carburants",
            fuels,
            default=[f for f in DEFAULT_FUELS if f in fuels] or fuels[:2],
            key="fuel_choice",
        )
    with period_col:
        start, end = period_input(first, last, 90, "fuel_period")
    with region_col:
        regions = sorted(prices["region_code"].astype(str).unique())
        region_code = chosen_region(codes=regions)
    if not chosen:
        st.info("Choisissez au moins un carburant.")
        return
    selected = prices[
        prices["fuel"].isin(chosen) & prices["day"].between(pd.Timestamp(start), pd.Timestamp(end))
    ]
    of_region = selected[selected["region_code"] == region_code]
    name = REGION_BY_CODE[region_code].name if region_code in REGION_BY_CODE else region_code
    latest = latest_per_group(of_region, ["fuel"])
    columns = st.columns(max(1, len(latest)))
    for column, (_, row) in zip(columns, latest.iterrows(), strict=False):
        week_before = of_region[
            (of_region["fuel"] == row["fuel"])
            & (of_region["day"] == row["day"] - pd.Timedelta(days=7))
        ]
        change = (
            float(row["price_median_eur_l"] - week_before["price_median_eur_l"].iloc[0])
            if len(week_before)
            else None
        )
        column.metric(
            f"{row['fuel']} — {name}, {fr.day(row['day'])}",
            _euros(row["price_median_eur_l"]),
            delta=None if change is None else fr.quantity(change, "€", 3, signed=True),
            # a falling price is good news for the reader: green
            delta_color="off" if not change else ("green" if change < 0 else "red"),
            delta_arrow="off" if not change else ("down" if change < 0 else "up"),
            delta_description="en 7 jours" if change is not None else None,
            border=True,
        )
    st.subheader(f"Prix journalier — {name}")
    charts.show(
        alt.Chart(of_region)
        .mark_line(strokeWidth=2)
        .encode(
            x=alt.X("day:T", axis=charts.AXIS_MONTH),
            y=alt.Y(
                "price_median_eur_l:Q",
                title="Prix (€/L)",
                scale=alt.Scale(zero=False),
                axis=alt.Axis(format=".2f"),
            ),
            color=alt.Color("fuel:N", title="Carburant", legend=alt.Legend(orient="bottom")),
            tooltip=[
                alt.Tooltip("day:T", title="Jour", format="%d/%m/%Y"),
                alt.Tooltip("fuel:N", title="Carburant"),
                alt.Tooltip("price_median_eur_l:Q", title="Prix médian (€/L)", format=".3f"),
                alt.Tooltip("station_count:Q", title="Stations", format=",d"),
            ],
        )
        .properties(height=300),
        key="fuel_curve",
    )
    map_col, table_col = st.columns([1, 1.2])
    shown_fuel = chosen[0]
    newest = latest_per_group(selected, ["region_code", "fuel"])
    with map_col:
        one = newest[newest["fuel"] == shown_fuel]
        values = pd.DataFrame(
            {
                "region_code": one["region_code"],
                "value": one["price_median_eur_l"],
                "label": [fr.number(v, 3) for v in one["price_median_eur_l"]],
            }
        )
        charts.show(
            charts.value_map(
                values,
                f"{shown_fuel} : prix par région au {fr.day(one['day'].max())}",
                "€/L",
                ".3f",
                scheme="purples",
                highlight=region_code,
            ),
            key="fuel_map",
            stretch=False,
        )
    with table_col:
        st.markdown(f"**Dernier prix de chaque région** (au plus tard le {fr.day(end)})")
        table = newest.pivot_table(
            index="region", columns="fuel", values="price_median_eur_l"
        ).reset_index()
        shortages = newest.groupby("region")["shortage_count"].sum().rename("shortages")
        table = table.merge(shortages, on="region", how="left")
        show_table(
            fr.display_table(
                table,
                formats={**{f: lambda v: fr.number(v, 3) for f in chosen}, "shortages": fr.number},
                labels={**{f: f"{f} (€/L)" for f in chosen}, "shortages": "Ruptures"},
            )
        )
