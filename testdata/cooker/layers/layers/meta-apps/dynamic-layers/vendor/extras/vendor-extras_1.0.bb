SUMMARY = "Only when the vendor layer is present"
DEPENDS = "hello"
