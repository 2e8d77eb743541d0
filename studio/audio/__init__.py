"""Audio: decode clips, stitch the episode, encode MP3, write tags."""
