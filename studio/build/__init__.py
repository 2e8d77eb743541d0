"""studio build: one episode through every stage, then the feed and site from all manifests."""
