RPROVIDES:${PN} = "runtime-x"
