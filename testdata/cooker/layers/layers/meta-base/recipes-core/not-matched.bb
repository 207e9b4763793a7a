this file is outside the BBFILES globs (broken on purpose) {
