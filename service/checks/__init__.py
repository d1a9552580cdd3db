"""The datapoint metric checker: what a dataset contains, record by record, against others.

Modules: ``readers`` (streamed JSONL, CSV, Parquet, `save_to_disk` inputs), ``text`` and
``features`` (normalisation, n-grams, MinHash, a batch at a time), ``index`` (a reference,
indexed), ``within`` (duplicates inside the dataset), ``formats`` and ``patterns`` (format
errors, boilerplate), ``engine`` (a run), ``thresholds`` (findings), ``graph`` (the
`:Check` node, alerts), ``jobs`` (background runs for the API), ``corpus`` (planted test
corpora with ground truth) and ``models``. See docs/checks.md.
"""
