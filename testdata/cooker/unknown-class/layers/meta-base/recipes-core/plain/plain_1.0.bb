SUMMARY = "plain"
