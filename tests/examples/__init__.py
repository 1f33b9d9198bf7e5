"""End-to-end tests of the example programs, driven as their users would (tests/examples/conftest.py)."""
