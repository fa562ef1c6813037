"""delight: a surprise-and-delight campaign planner."""
