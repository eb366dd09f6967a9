"""Batch prediction's tests (abeja/services/_batch/)."""
