"""Studio: one episode script -> HTML email, podcast episode and RSS feed."""

__version__ = "0.1.0"
