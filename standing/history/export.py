"""Every history view as a table on screen, CSV or JSON, from one typed tabular record.

Cells hold identity names and subjects from the cloud: on screen they are ``printable`` (escape
sequences shown, not obeyed), in CSV ``spreadsheet_cell`` (also never a formula: the same guard
as report.csv), in JSON escaped by the encoder (``standing.core.safe_text``).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from standing.core.safe_text import json_text, printable, spreadsheet_cell

FORMATS = ("table", "csv", "json")


@dataclass(frozen=True)
class Tabular:
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _json_value(value: Any) -> Any:
    return _cell(value) if isinstance(value, (datetime, date)) else value


def as_csv(tabular: Tabular) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(tabular.columns)
    writer.writerows([spreadsheet_cell(_cell(v)) for v in row] for row in tabular.rows)
    return buffer.getvalue()


def as_json(tabular: Tabular) -> str:
    records = [{c: _json_value(v) for c, v in zip(tabular.columns, row)} for row in tabular.rows]
    return json_text(json.dumps(records, indent=2)) + "\n"


def emit(tabular: Tabular, fmt: str, output: Path | None, console: Console) -> None:
    """Print, or write to ``output``; cloud-supplied strings are never read as rich markup."""
    if fmt == "table" and output is None:
        table = Table(title=printable(tabular.title))
        for column in tabular.columns:
            table.add_column(column, overflow="fold")
        for row in tabular.rows:
            table.add_row(*(Text(printable(_cell(v))) for v in row))
        console.print(table)
        return
    text = as_json(tabular) if fmt == "json" else as_csv(tabular) if fmt == "csv" else _plain_table(tabular)
    if output is None:
        console.file.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        console.print(Text(f"Wrote {output} ({len(tabular.rows)} rows)"), soft_wrap=True)


def _plain_table(tabular: Tabular) -> str:
    buffer = io.StringIO()
    console = Console(file=buffer, width=240, highlight=False, color_system=None)
    emit(tabular, "table", None, console)
    return buffer.getvalue()
