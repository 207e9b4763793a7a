//! Integration tests of the cooker on the build directories in `testdata/cooker/`.
