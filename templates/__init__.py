"""Studio's built-in templates, shipped in the wheel as package data (studio.templates)."""
