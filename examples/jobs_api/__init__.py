"""An HTTP API that runs commands as Kubernetes Jobs (see app.py)."""
