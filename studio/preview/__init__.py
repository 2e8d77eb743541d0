"""`studio serve --watch`: rebuild on save, reload open pages, show build errors, preview the email."""
