require where.inc
