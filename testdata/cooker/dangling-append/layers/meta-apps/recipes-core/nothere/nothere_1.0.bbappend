NOTHERE = "never"
