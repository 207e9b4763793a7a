# CMake builds (Unix Makefiles generator) with the host toolchain, in a
# separate build directory ${B}.  Build dependencies are found in
# ${RECIPE_SYSROOT} through CMAKE_PREFIX_PATH and the C/C++/linker flags.
# cmake itself comes from the host (or from a native recipe in DEPENDS,
# whose ${bindir} is staged and first on PATH).

B = "${WORKDIR}/build"
OECMAKE_SOURCEPATH ??= "${S}"
OECMAKE_GENERATOR ??= "Unix Makefiles"
EXTRA_OECMAKE ??= ""
OECMAKE_BUILDTYPE ??= "Release"

do_configure[cleandirs] = "${B}"

cmake_do_configure() {
	cmake -S ${OECMAKE_SOURCEPATH} -B ${B} -G "${OECMAKE_GENERATOR}" \
	    -DCMAKE_BUILD_TYPE=${OECMAKE_BUILDTYPE} \
	    -DCMAKE_INSTALL_PREFIX=${prefix} \
	    -DCMAKE_INSTALL_BINDIR=bin -DCMAKE_INSTALL_LIBDIR=lib \
	    -DCMAKE_INSTALL_INCLUDEDIR=include \
	    -DCMAKE_C_COMPILER="${CC}" -DCMAKE_CXX_COMPILER="${CXX}" \
	    -DCMAKE_C_FLAGS="${CFLAGS}" -DCMAKE_CXX_FLAGS="${CXXFLAGS}" \
	    -DCMAKE_EXE_LINKER_FLAGS="${LDFLAGS}" -DCMAKE_SHARED_LINKER_FLAGS="${LDFLAGS}" \
	    -DCMAKE_PREFIX_PATH="${RECIPE_SYSROOT}${prefix}" \
	    ${EXTRA_OECMAKE} "$@" || die "cmake failed"
}

cmake_do_compile() {
	cmake --build ${B} -- ${PARALLEL_MAKE} || die "cmake --build failed"
}

cmake_do_install() {
	DESTDIR=${D} cmake --install ${B} || die "cmake --install failed"
}

EXPORT_FUNCTIONS do_configure do_compile do_install
