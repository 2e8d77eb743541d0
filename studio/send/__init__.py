"""`studio send`: a built episode's email to every active subscriber, exactly once each, through studio.mail."""
