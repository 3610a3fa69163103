"""Roster sync: a district's roster source (a OneRoster REST provider or a drop folder), the
nightly sync and its runs, leavers, the safety stop, and the history of each student's
enrolments and programs that the reports count by.

The feed is read by the importers' own parsers (caseflow.imports) and written by their
writer; this package adds what a sync that runs by itself needs around them.
"""
