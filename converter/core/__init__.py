"""Core: issues, errors, results, settings and their schema, values, limits; imports nothing above it."""
