SUMMARY = "hello"
