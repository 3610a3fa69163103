"""Importing schools, students, guardians, staff and past incidents from Ed-Fi XML
interchanges and OneRoster 1.1 CSV rosters.

Parsing (edfi.py, oneroster.py) is pure: files in, records and rejected rows out. Writing
(services.py) matches the records to what the district already holds and creates or updates
rows in one transaction, all or nothing unless partial imports are asked for.
"""
