"""The leadership risk report: one self-contained HTML page (and JSON, CSV, Markdown) from a scan."""
