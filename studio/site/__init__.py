"""The web site: index, archive, episode and transcript pages from all manifests."""
