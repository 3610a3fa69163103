"""The pure rule engine: parse, validate and evaluate declarative rules with a trace.

No Flask and no database here: facts come in as a dict, outcomes go out as data.
"""
