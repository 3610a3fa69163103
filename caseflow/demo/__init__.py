"""A deterministic, entirely fictional demo district for trying Caseflow out (`flask demo seed`)."""
