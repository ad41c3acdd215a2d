"""Benchmark of ``bizops-sage50 convert`` (both directions) and of the inbox watcher.

    make bench                                   # 1k, 10k, 100k and 1M rows (several minutes)
    .venv/bin/python -m benchmarks --quick      # 1k and 10k only, a smoke run
    .venv/bin/python -m benchmarks --sizes 10000,100000 --keep

What it does, per size (rows of the input file):

1. Generates realistic, deterministic data (numpy, written in streamed chunks) in a temporary
   folder: a BizOps invoices.csv and a Sage 50 SALES.CSV (1-20 lines per document, sales-tax and
   freight distributions, credit memos, drafts), a BizOps customers.csv and a Sage CUSTOMER.CSV,
   with the samples' exact headings.
2. Seeds a ledger the realistic way (not timed): Sage's CHART.CSV and the BizOps customer and
   product masters the transactions reference are converted first, so reference checks run as
   in production (``[checks] unknown_references = "error"``).
3. Times each conversion as a user runs it: ``bizops-sage50 convert FILE --json --config CFG
   --outbox DIR --initial-load`` in a fresh process, with a fresh copy of the seeded ledger and
   an empty outbox. Wall time, CPU time and peak RSS (``os.wait4`` rusage of that very process)
   are recorded, and the JSON result is checked: status "converted" and no errors.
   Files of up to 10,000 rows run 5 times, up to 100,000 rows 3 times (floor too), in turn; the
   median run counts.
4. Measures the FLOOR the same way: a fresh ``python`` that does ``pd.read_csv(dtype=str,
   keep_default_na=False)`` + ``to_csv`` of the same file.
5. Profiles each conversion once more at 100k rows (else at the largest size run) under
   ``python -m cProfile``.
6. Times the start-up of ``--help``, ``status`` and ``batches`` against ``python -c "import
   pandas"`` (7 runs each, in turn; medians).
7. Measures the watcher's latency (native events and ``--poll``) by dropping small files into a
   temporary inbox with an atomic rename and waiting for the batch folder in the outbox.
8. Writes ``benchmarks/RESULTS.md`` and removes the generated data (``--keep`` keeps it).

Nothing in the repository's inbox/ or outbox/ is touched.
"""
