inherit first second
