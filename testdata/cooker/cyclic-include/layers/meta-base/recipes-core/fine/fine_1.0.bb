SUMMARY = "fine"
