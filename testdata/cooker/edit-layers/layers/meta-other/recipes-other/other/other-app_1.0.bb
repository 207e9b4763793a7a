SUMMARY = "from meta-other"
