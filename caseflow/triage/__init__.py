"""Rules-driven MTSS triage: facts about an incident and a student, decisions, overrides,
and simulation of rule changes."""
