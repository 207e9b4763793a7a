SUMMARY = "picky"
