SUMMARY = "Image viewer"
DEPENDS = "virtual/kernel libz"
VIEWER_GREETING = "${GREETING}"
inherit greeting
