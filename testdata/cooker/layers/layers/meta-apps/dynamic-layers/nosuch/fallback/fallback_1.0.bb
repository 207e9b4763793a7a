SUMMARY = "Only when layer nosuch is absent"
