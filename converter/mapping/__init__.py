"""Templates applied: the mapping engine, target validation, odd values."""
