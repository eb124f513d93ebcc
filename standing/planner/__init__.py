"""Just-in-time migration plans from findings: one plan per flagged identity and a phased roadmap."""
