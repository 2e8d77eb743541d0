"""Presentation shared by the email and the site: palette, item HTML and text, templates."""
