"""The inventory model, findings, snapshot and versioned-document I/O, errors and the facts every
layer judges the same way. Imports nothing else of ``standing``."""
