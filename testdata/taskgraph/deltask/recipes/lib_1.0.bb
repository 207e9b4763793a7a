# deleting do_build itself: the recipe has no default task
deltask do_build
