"""Benchmarks (`make bench`): the data generator, the load run, the outbox and the upload."""
