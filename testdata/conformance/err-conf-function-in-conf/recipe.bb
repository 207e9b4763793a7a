include extra.conf
