"""A FastAPI CRUD API whose storage is a ``Task`` custom resource (see app.py)."""
