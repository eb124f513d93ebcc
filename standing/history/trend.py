"""Trends over the stored scans, computed with pandas: is standing privilege going down?

One row per scan, oldest first:

- open findings by severity (unwaived), and how many were waived;
- the estate's exposure as ``findings.json`` reports it (live long-lived secrets, their
  summed age in days, and those whose holder reaches admin);
- mean and max age in days of the standing credentials (live long-lived secrets) that scan saw;
- remediations to date and mean time to remediate: mean days from a finding's opening to its
  resolution, over every resolution recorded up to that scan.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import func, select

from standing.core.findings import Severity
from standing.history.export import Tabular
from standing.history.store import CREDENTIALS, REMEDIATIONS, SCANS, SEEN, HistoryStore, covering
from standing.history.tally import tally

SEVERITIES = [s.value for s in Severity]
EXPOSURE = ["standing_secrets", "standing_secret_days", "admin_secrets", "admin_secret_days"]
COLUMNS = [
    "scan",
    "as_of",
    *SEVERITIES,
    "waived",
    *EXPOSURE,
    "credential_age_mean_days",
    "credential_age_max_days",
    "remediated",
    "mttr_days",
]


def compute_trend(store: HistoryStore) -> pd.DataFrame:
    with store.engine.connect() as connection:
        scans = pd.read_sql(
            select(SCANS.c.id.label("scan"), SCANS.c.as_of, *(SCANS.c[c] for c in EXPOSURE)), connection
        )
        waived = SEEN.c.waiver_owner.is_not(None)
        counts = pd.read_sql(
            select(SCANS.c.id.label("scan"), SEEN.c.severity, waived.label("waived"), func.count().label("n"))
            .select_from(SCANS.join(SEEN, covering(SEEN, SCANS.c.id)))
            .group_by(SCANS.c.id, SEEN.c.severity, waived),
            connection,
        )
        credentials = pd.read_sql(
            select(CREDENTIALS.c.from_scan, CREDENTIALS.c.until_scan, CREDENTIALS.c.created).where(
                CREDENTIALS.c.standing.is_(True), CREDENTIALS.c.created.is_not(None)
            ),
            connection,
        )
        remediations = pd.read_sql(select(REMEDIATIONS.c.opened_at, REMEDIATIONS.c.resolved_at), connection)
    if scans.empty:
        return pd.DataFrame(columns=COLUMNS)
    scans["as_of"] = _utc(scans["as_of"])
    scans = scans.sort_values(["as_of", "scan"]).reset_index(drop=True)

    trend = scans.join(_tallies(counts), on="scan")
    trend[[*SEVERITIES, "waived"]] = trend[[*SEVERITIES, "waived"]].fillna(0).astype(int)
    trend = trend.join(_credential_ages(scans, credentials), on="scan")
    trend = _with_remediation(trend, remediations)
    return trend[COLUMNS]


def _tallies(counts: pd.DataFrame) -> pd.DataFrame:
    """Open findings by severity and waived findings per scan: ``tally``, as the risk report counts them."""
    grouped: dict[int, list[tuple[str, bool, int]]] = {}
    for scan, severity, waived, n in counts[["scan", "severity", "waived", "n"]].itertuples(index=False):
        grouped.setdefault(int(scan), []).append((severity, bool(waived), int(n)))
    rows = {}
    for scan, entries in grouped.items():
        counted = tally(entries)
        rows[scan] = {**{s.value: n for s, n in counted.open_by_severity.items()}, "waived": counted.waived}
    return pd.DataFrame.from_dict(rows, orient="index", columns=[*SEVERITIES, "waived"])


def _credential_ages(scans: pd.DataFrame, spells: pd.DataFrame) -> pd.DataFrame:
    """Mean and max age of the standing credentials each scan saw (spells cross scans)."""
    spells["created"] = _utc(spells["created"])
    spells["until_scan"] = spells["until_scan"].astype("float").fillna(float("inf"))
    held = spells.merge(scans[["scan", "as_of"]], how="cross")
    held = held[(held["from_scan"] <= held["scan"]) & (held["scan"] < held["until_scan"])]
    ages = (held["as_of"] - held["created"]).dt.days.clip(lower=0).rename("age")
    summary = ages.groupby(held["scan"]).agg(credential_age_mean_days="mean", credential_age_max_days="max")
    summary["credential_age_mean_days"] = summary["credential_age_mean_days"].round(1)
    summary["credential_age_max_days"] = summary["credential_age_max_days"].astype("Int64")
    return summary


def _with_remediation(trend: pd.DataFrame, remediations: pd.DataFrame) -> pd.DataFrame:
    """Running count and mean of time-to-remediate, matched to each scan by time (merge_asof)."""
    if remediations.empty:
        return trend.assign(remediated=0, mttr_days=float("nan"))
    spells = pd.DataFrame({"resolved_at": _utc(remediations["resolved_at"])})
    spells["days"] = (spells["resolved_at"] - _utc(remediations["opened_at"])).dt.total_seconds() / 86400
    spells = spells.sort_values("resolved_at")
    spells["remediated"] = range(1, len(spells) + 1)
    spells["mttr_days"] = (spells["days"].cumsum() / spells["remediated"]).round(1)
    merged = pd.merge_asof(
        trend,
        spells[["resolved_at", "remediated", "mttr_days"]],
        left_on="as_of",
        right_on="resolved_at",
        direction="backward",
    )
    merged["remediated"] = merged["remediated"].fillna(0).astype(int)
    return merged


def _utc(column: pd.Series) -> pd.Series:
    return pd.to_datetime(column, utc=True).astype("datetime64[us, UTC]")


def trend_table(trend: pd.DataFrame) -> Tabular:
    rows = []
    for record in trend.to_dict("records"):
        rows.append(tuple(None if _missing(record[c]) else _plain(record[c]) for c in COLUMNS))
    return Tabular(title="Trend", columns=tuple(COLUMNS), rows=tuple(rows))


def _missing(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and value != value)


def _plain(value: object) -> object:
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value
