RDEPENDS:${PN} = "notbuilt-by-app"
