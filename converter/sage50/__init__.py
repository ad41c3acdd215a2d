"""Sage 50's rules for transactions: documents, journals, references, prepayments."""
