SUMMARY = "Tool without epoch, higher PV"
