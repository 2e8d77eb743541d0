"""The host's weekly loop: `studio new`, `studio build` over many scripts, `studio ship`."""
