"""Referral cases: every route of a triage decision becomes a case with an owner."""
