"""The feed and the site, built from all episode manifests."""
