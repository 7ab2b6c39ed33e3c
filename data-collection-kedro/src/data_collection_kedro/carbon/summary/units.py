"""Readable quantities: each figure in the unit its size calls for (Wh or kWh, mg, g or kg...),
three significant digits, French decimal comma with ``lang="fr"``."""

from __future__ import annotations

import math
from typing import Any

# (threshold, factor, unit): the first line whose threshold the magnitude reaches
ENERGY_UNITS = ((1.0, 1.0, "kWh"), (1e-3, 1e3, "Wh"), (1e-6, 1e6, "mWh"), (0.0, 1e9, "µWh"))
MASS_UNITS = ((1.0, 1.0, "kg"), (1e-3, 1e3, "g"), (1e-6, 1e6, "mg"), (0.0, 1e9, "µg"))
MONEY_UNITS = ((0.01, 1.0, "€"), (0.0, 100.0, "c€"))  # cents below 1 c€
DURATION_UNITS = ((3600.0, 1 / 3600.0, "h"), (60.0, 1 / 60.0, "min"), (0.0, 1.0, "s"))
ZERO_UNIT = {ENERGY_UNITS: "Wh", MASS_UNITS: "g", MONEY_UNITS: "€", DURATION_UNITS: "s"}


def number(value: Any, lang: str = "en", digits: int = 3) -> str:
    """``value`` with ``digits`` significant digits (no exponent), ``–`` when missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    value = float(value)
    if value == 0:
        text = "0"
    else:
        magnitude = math.floor(math.log10(abs(value)))
        decimals = max(digits - 1 - magnitude, 0)
        text = f"{value:,.{decimals}f}"
    if lang == "fr":
        text = text.replace(",", "\u202f").replace(".", ",")
    return text


def plain(value: Any, lang: str = "en") -> str:
    """A configured figure as written (``0.2516``), decimal comma in French."""
    if value is None or _nan(value):
        return "–"
    text = f"{float(value):g}"
    return text.replace(".", ",") if lang == "fr" else text


def count(value: Any, lang: str = "en") -> str:
    """A whole number with thousands separators (``8,760``; ``8 760`` in French)."""
    if value is None or _nan(value):
        return "–"
    text = f"{round(float(value)):,}"
    return text.replace(",", "\u202f") if lang == "fr" else text


def _scaled(
    value: Any, units: tuple[tuple[float, float, str], ...], lang: str, digits: int = 3
) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    value = float(value)
    if value == 0:
        return f"0 {ZERO_UNIT.get(units, units[0][2])}"
    for threshold, factor, unit in units:
        if abs(value) >= threshold:
            return f"{number(value * factor, lang, digits)} {unit}"
    return f"{number(value, lang)} {units[0][2]}"  # pragma: no cover - last threshold is 0


def energy(kwh: Any, lang: str = "en") -> str:
    return _scaled(kwh, ENERGY_UNITS, lang)


def mass(kg: Any, lang: str = "en") -> str:
    """CO₂e mass from kilograms."""
    return _scaled(kg, MASS_UNITS, lang)


def money(eur: Any, lang: str = "en") -> str:
    return _scaled(eur, MONEY_UNITS, lang, digits=2)


def duration(seconds: Any, lang: str = "en") -> str:
    return _scaled(seconds, DURATION_UNITS, lang)


def power(watts: Any, lang: str = "en") -> str:
    return "–" if watts is None or _nan(watts) else f"{number(watts, lang)} W"


def intensity(g_per_kwh: Any, lang: str = "en") -> str:
    return "–" if g_per_kwh is None or _nan(g_per_kwh) else f"{number(g_per_kwh, lang)} g/kWh"


def share(value: Any, lang: str = "en") -> str:
    if value is None or _nan(value):
        return "–"
    pct = float(value) * 100.0
    text = f"{pct:.0f}" if abs(pct) >= 10 or pct == 0 else number(pct, lang, 2)
    return f"{text.replace('.', ',') if lang == 'fr' else text} %"


def signed_share(value: Any, lang: str = "en") -> str:
    text = share(value, lang)
    return text if text == "–" or text.startswith("-") else f"+{text}"


def _nan(value: Any) -> bool:
    try:
        return math.isnan(float(value))
    except (TypeError, ValueError):
        return False
