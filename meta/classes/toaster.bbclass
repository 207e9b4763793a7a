# toaster.bbclass: `INHERIT += "toaster"` in a build directory's configuration turns on
# build recording: bake then records every build in ${TOASTER_DIR}/toaster.sqlite
# (TOASTER_DIR from the environment, else the build directory), as Toaster does.
# The class itself adds nothing to the metadata; bake sees it in INHERIT.
