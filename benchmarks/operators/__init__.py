"""The operators benchmark (``python -m benchmarks.operators``): pykorm.controller against kopf and controller-runtime."""
