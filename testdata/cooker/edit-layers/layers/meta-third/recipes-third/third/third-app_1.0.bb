SUMMARY = "from meta-third"
