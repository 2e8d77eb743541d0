"""Tools for developing Studio itself (asset generators, local service stand-ins)."""
