"""Carbon measurement of the pipelines (CodeCarbon) and its summary."""
