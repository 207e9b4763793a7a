PN = "mypn"
${PN}_fn() {
	echo from ${PN}
}
do_dashed-name() {
	echo hidden from -e because of the dash
}
do_dotted.name() {
	echo dotted
}
do_expands() {
	echo ${UNDEFINED_THING} ${PN} $HOME
}
