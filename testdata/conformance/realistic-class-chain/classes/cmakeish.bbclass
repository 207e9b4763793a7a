inherit pkgconfig-helper
DEPENDS:prepend = "cmake-native "
EXTRA_OECMAKE ?= ""
cmakeish_do_configure() {
	cmake ${S} -DCMAKE_INSTALL_PREFIX=/usr ${EXTRA_OECMAKE} ${EXTRA_OECONF}
}
cmakeish_do_compile() {
	cmake --build ${B}
}
cmakeish_do_install() {
	DESTDIR=${D} cmake --build ${B} --target install
}
EXPORT_FUNCTIONS do_configure do_compile do_install
