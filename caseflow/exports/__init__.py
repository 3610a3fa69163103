"""Exports of Caseflow data in other systems' shapes (Ed-Fi discipline)."""
