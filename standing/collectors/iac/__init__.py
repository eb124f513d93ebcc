"""Infrastructure as code: the identities, secrets and grants a change would create, as an Inventory.

Converters are pure (a parsed document in, typed records out) and keep each resource's
address so findings can point back into the file.
"""
