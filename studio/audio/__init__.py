"""Audio: decode + measure clips, mix with jingles, master to a loudness target, encode, tag, chapters."""
