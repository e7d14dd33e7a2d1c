"""Browser tests: JupyterLab in Chromium (see README.md)."""
