"""Rules: the engine, its configuration, waivers and framework mappings; the rule families live
in ``standing.rules.families``, one small module per family.

See ARCHITECTURE.md, "Adding a rule".
"""
