"""The newsroom's web editor at /editor/ (docs/editor.md)."""
