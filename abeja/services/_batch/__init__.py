"""Batch prediction: a data set through a service or an endpoint, lazily, resumably,
``concurrency`` at a time (results and the resumable file, the public runs, their drivers)."""
