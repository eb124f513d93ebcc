"""Rule families: one small module per family. Defining a ``Rule`` subclass here registers it."""
