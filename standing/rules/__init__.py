"""Rules: one small module per family. Defining a ``Rule`` subclass here registers it.

See ARCHITECTURE.md, "Adding a rule".
"""
