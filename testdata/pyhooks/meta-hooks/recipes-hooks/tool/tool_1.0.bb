# What app's do_install needs.
