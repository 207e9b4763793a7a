# image-nopackage.bbclass of the default `bake` layer: inherited (deferred) by
# image.bbclass, after the package classes of PACKAGE_CLASSES, to drop their tasks
# from an image recipe.
deltask do_package
deltask do_packagedata
deltask do_package_write_deb
deltask do_package_write_ipk
deltask do_package_write_rpm
