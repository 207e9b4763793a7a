PE = "1"
SUMMARY = "Tool with an epoch"
