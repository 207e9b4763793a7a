SUMMARY = "inherits a class that does not exist"
inherit nosuchclass
