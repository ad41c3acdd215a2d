"""What has been exchanged: the ledger, the catalog of masters, runs, claims, spooling."""
