KEYNAME = "fromclass"
TRACE .= " deferred-class"
