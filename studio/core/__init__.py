"""Core: the data model, settings, manifest, output layout, URLs and file helpers every stage shares."""
