"""The CI gate: baselines of accepted findings, and failing only on what is new since."""
