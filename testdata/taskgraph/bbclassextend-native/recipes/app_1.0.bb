DEPENDS = "tool-native zlib"
