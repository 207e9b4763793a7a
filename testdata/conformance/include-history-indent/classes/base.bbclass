inherit other
