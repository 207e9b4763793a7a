SUMMARY = "parses fine"
