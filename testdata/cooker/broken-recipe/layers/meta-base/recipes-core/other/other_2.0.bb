SUMMARY = "also fine"
