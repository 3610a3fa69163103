"""Incidents: intake of behavioral incidents and the district's behavior taxonomy."""
