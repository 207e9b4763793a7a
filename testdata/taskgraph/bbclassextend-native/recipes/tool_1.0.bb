DEPENDS = "zlib"
DEPENDS:append:class-native = " nativeonly-native"
BBCLASSEXTEND = "native"
