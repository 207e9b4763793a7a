HELLO_APPENDED = "by apps for ${PV}"
DEPENDS:append = " libz"
