"""Speech: item speech text -> audio clips with timed boundaries."""
