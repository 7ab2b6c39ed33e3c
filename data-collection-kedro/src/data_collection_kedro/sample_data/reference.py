"""Calibration constants of the sample-data models.

Orders of magnitude follow the public ODRÉ / Météo-France series (monthly mean
temperatures by region, GRD/ELD gas load curves 2018–2024, annual regional consumption
2019); the values below are rounded model parameters, not copies of the data.
"""

from __future__ import annotations

from dataclasses import dataclass

GRTGAZ = "GRTgaz"
TEREGA = "Teréga"


@dataclass(frozen=True)
class RegionClimate:
    mean_c: float  # annual mean of the daily mean temperature
    amplitude_c: float  # half the July–January difference
    anomaly_sd_c: float  # standard deviation of the day-to-day anomaly
    diurnal_range_c: float  # mean TMax - TMin


CLIMATE: dict[str, RegionClimate] = {
    "11": RegionClimate(13.0, 8.0, 3.0, 8.3),
    "24": RegionClimate(12.8, 7.9, 3.0, 9.9),
    "27": RegionClimate(12.5, 8.7, 3.1, 10.0),
    "28": RegionClimate(12.0, 6.8, 2.6, 8.2),
    "32": RegionClimate(11.9, 7.3, 2.9, 7.8),
    "44": RegionClimate(11.75, 8.55, 3.2, 9.8),
    "52": RegionClimate(13.5, 7.4, 2.7, 9.2),
    "53": RegionClimate(12.55, 5.85, 2.3, 7.9),
    "75": RegionClimate(14.3, 7.6, 2.7, 9.5),
    "76": RegionClimate(15.0, 8.6, 2.6, 10.3),
    "84": RegionClimate(12.8, 8.9, 3.1, 10.6),
    "93": RegionClimate(16.05, 8.85, 2.2, 10.2),
    "94": RegionClimate(17.65, 7.55, 1.8, 9.9),
}


@dataclass(frozen=True)
class GasNetwork:
    """Daily gas of one operator in one region (MWh PCS 0°C)."""

    distribution_base_mwh: float  # GRD/ELD consumption on a day without heating
    distribution_slope_mwh: float  # extra GRD/ELD MWh per heating degree day
    industry_mwh: float  # direct industrial offtake (in the regional gross total only)


# Regions without an entry have no gas network (Corse).
GAS_NETWORKS: dict[str, dict[str, GasNetwork]] = {
    "11": {GRTGAZ: GasNetwork(26_000, 21_500, 56_000)},
    "24": {GRTGAZ: GasNetwork(5_800, 4_300, 13_000)},
    "27": {GRTGAZ: GasNetwork(7_700, 5_200, 17_500)},
    "28": {GRTGAZ: GasNetwork(12_500, 5_000, 79_000)},
    "32": {GRTGAZ: GasNetwork(19_300, 11_600, 108_000)},
    "44": {GRTGAZ: GasNetwork(18_300, 11_200, 119_000)},
    "52": {GRTGAZ: GasNetwork(9_200, 6_700, 26_000)},
    "53": {GRTGAZ: GasNetwork(10_100, 5_200, 8_000)},
    "75": {
        GRTGAZ: GasNetwork(4_800, 4_100, 14_000),
        TEREGA: GasNetwork(6_000, 4_400, 10_600),
    },
    "76": {
        GRTGAZ: GasNetwork(2_600, 2_000, 3_300),
        TEREGA: GasNetwork(5_100, 4_500, 10_000),
    },
    "84": {
        GRTGAZ: GasNetwork(17_500, 12_300, 53_000),
        TEREGA: GasNetwork(120, 95, 130),
    },
    "93": {GRTGAZ: GasNetwork(8_000, 5_700, 85_000)},
}

# Mean daily electricity consumption (MWh/day), from annual regional totals.
ELECTRICITY_MEAN_MWH: dict[str, float] = {
    "11": 192_800,
    "24": 49_850,
    "27": 58_100,
    "28": 76_000,
    "32": 135_900,
    "44": 125_200,
    "52": 74_400,
    "53": 61_800,
    "75": 119_100,
    "76": 104_900,
    "84": 176_700,
    "93": 111_900,
    "94": 6_370,
}

HEATING_BASE_C = 17.0
COOLING_BASE_C = 22.0

# Old (pre-2016) regions as historique-meteo spells them, with a latitude for day length.
HISTORIQUE_METEO_OLD_REGIONS: dict[str, float] = {
    "alsace": 48.3,
    "aquitaine": 44.5,
    "ardeche": 44.7,
    "auvergne": 45.5,
    "bourgogne": 47.2,
    "bretagne": 48.1,
    "centre": 47.5,
    "champagne-ardenne": 49.0,
    "corse": 42.1,
    "franche-comte": 47.1,
    "ile-de-france": 48.8,
    "ile-de-re": 46.2,
    "languedoc-roussillon": 43.5,
    "limousin": 45.7,
    "lorraine": 48.9,
    "midi-pyrenees": 43.8,
    "nord-pas-de-calais": 50.5,
    "normandie": 49.2,
    "pays-de-la-loire": 47.4,
    "picardie": 49.6,
    "poitou-charentes": 46.1,
    "provence-alpes-c-te-d-azur": 43.8,
    "rh-ne-alpes": 45.6,
}

# Department -> (prefecture, latitude, longitude), for station coordinates and city names.
DEPARTMENT_PLACES: dict[str, tuple[str, float, float]] = {
    "01": ("Bourg-en-Bresse", 46.205, 5.226),
    "02": ("Laon", 49.564, 3.620),
    "03": ("Moulins", 46.566, 3.333),
    "04": ("Digne-les-Bains", 44.092, 6.236),
    "05": ("Gap", 44.559, 6.079),
    "06": ("Nice", 43.703, 7.266),
    "07": ("Privas", 44.735, 4.599),
    "08": ("Charleville-Mézières", 49.762, 4.726),
    "09": ("Foix", 42.965, 1.605),
    "10": ("Troyes", 48.297, 4.074),
    "11": ("Carcassonne", 43.213, 2.353),
    "12": ("Rodez", 44.351, 2.575),
    "13": ("Marseille", 43.296, 5.370),
    "14": ("Caen", 49.183, -0.371),
    "15": ("Aurillac", 44.926, 2.440),
    "16": ("Angoulême", 45.648, 0.156),
    "17": ("La Rochelle", 46.160, -1.151),
    "18": ("Bourges", 47.081, 2.399),
    "19": ("Tulle", 45.267, 1.771),
    "21": ("Dijon", 47.322, 5.041),
    "22": ("Saint-Brieuc", 48.514, -2.765),
    "23": ("Guéret", 46.171, 1.871),
    "24": ("Périgueux", 45.184, 0.721),
    "25": ("Besançon", 47.238, 6.024),
    "26": ("Valence", 44.933, 4.892),
    "27": ("Évreux", 49.024, 1.151),
    "28": ("Chartres", 48.446, 1.489),
    "29": ("Quimper", 47.996, -4.102),
    "2A": ("Ajaccio", 41.919, 8.738),
    "2B": ("Bastia", 42.697, 9.451),
    "30": ("Nîmes", 43.837, 4.360),
    "31": ("Toulouse", 43.605, 1.444),
    "32": ("Auch", 43.646, 0.586),
    "33": ("Bordeaux", 44.838, -0.579),
    "34": ("Montpellier", 43.611, 3.877),
    "35": ("Rennes", 48.117, -1.678),
    "36": ("Châteauroux", 46.811, 1.686),
    "37": ("Tours", 47.394, 0.684),
    "38": ("Grenoble", 45.188, 5.724),
    "39": ("Lons-le-Saunier", 46.675, 5.555),
    "40": ("Mont-de-Marsan", 43.890, -0.500),
    "41": ("Blois", 47.586, 1.335),
    "42": ("Saint-Étienne", 45.440, 4.387),
    "43": ("Le Puy-en-Velay", 45.043, 3.885),
    "44": ("Nantes", 47.218, -1.554),
    "45": ("Orléans", 47.903, 1.909),
    "46": ("Cahors", 44.447, 1.441),
    "47": ("Agen", 44.203, 0.616),
    "48": ("Mende", 44.518, 3.500),
    "49": ("Angers", 47.478, -0.563),
    "50": ("Saint-Lô", 49.116, -1.091),
    "51": ("Châlons-en-Champagne", 48.957, 4.363),
    "52": ("Chaumont", 48.111, 5.139),
    "53": ("Laval", 48.073, -0.770),
    "54": ("Nancy", 48.692, 6.184),
    "55": ("Bar-le-Duc", 48.773, 5.160),
    "56": ("Vannes", 47.658, -2.760),
    "57": ("Metz", 49.119, 6.176),
    "58": ("Nevers", 46.990, 3.159),
    "59": ("Lille", 50.629, 3.057),
    "60": ("Beauvais", 49.430, 2.081),
    "61": ("Alençon", 48.432, 0.091),
    "62": ("Arras", 50.291, 2.777),
    "63": ("Clermont-Ferrand", 45.778, 3.087),
    "64": ("Pau", 43.295, -0.371),
    "65": ("Tarbes", 43.233, 0.078),
    "66": ("Perpignan", 42.699, 2.895),
    "67": ("Strasbourg", 48.573, 7.752),
    "68": ("Colmar", 48.079, 7.358),
    "69": ("Lyon", 45.764, 4.836),
    "70": ("Vesoul", 47.620, 6.155),
    "71": ("Mâcon", 46.307, 4.828),
    "72": ("Le Mans", 48.006, 0.199),
    "73": ("Chambéry", 45.564, 5.917),
    "74": ("Annecy", 45.899, 6.129),
    "75": ("Paris", 48.857, 2.352),
    "76": ("Rouen", 49.443, 1.100),
    "77": ("Melun", 48.539, 2.660),
    "78": ("Versailles", 48.801, 2.130),
    "79": ("Niort", 46.323, -0.465),
    "80": ("Amiens", 49.894, 2.296),
    "81": ("Albi", 43.929, 2.148),
    "82": ("Montauban", 44.018, 1.355),
    "83": ("Toulon", 43.124, 5.928),
    "84": ("Avignon", 43.949, 4.806),
    "85": ("La Roche-sur-Yon", 46.670, -1.426),
    "86": ("Poitiers", 46.580, 0.340),
    "87": ("Limoges", 45.834, 1.261),
    "88": ("Épinal", 48.172, 6.450),
    "89": ("Auxerre", 47.798, 3.567),
    "90": ("Belfort", 47.638, 6.863),
    "91": ("Évry-Courcouronnes", 48.629, 2.441),
    "92": ("Nanterre", 48.892, 2.207),
    "93": ("Bobigny", 48.908, 2.440),
    "94": ("Créteil", 48.790, 2.455),
    "95": ("Cergy", 49.036, 2.076),
}
