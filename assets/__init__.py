"""Studio's built-in assets (cover, jingles), shipped in the wheel as package data (studio.assets)."""
