SUMMARY = "from meta-extra"
