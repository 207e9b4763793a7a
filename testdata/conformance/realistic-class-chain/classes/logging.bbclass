LOG_PREFIX = "[${PN}]"
