"""pykorm against its peers, on a real API server: ``python -m benchmarks`` (see benchmarks/README.md).

Scripts, not tests: nothing here runs under pytest. The peers come from the ``bench`` extra.
"""
