"""The ``standing`` command line: one module per command group. The only layer that reads the
wall clock, prints errors or imports click."""
