inherit other2
