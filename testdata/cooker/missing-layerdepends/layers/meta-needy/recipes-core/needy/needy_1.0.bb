SUMMARY = "needy"
