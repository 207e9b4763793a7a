SUMMARY = "Compression library"
PROVIDES = "libz"
BBCLASSEXTEND = "native nativesdk"
