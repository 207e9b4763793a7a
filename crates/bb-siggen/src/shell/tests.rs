use super::*;

fn execs(src: &str) -> Vec<String> {
    shell_execs(src).into_iter().collect()
}

#[test]
fn table_of_snippets() {
    let cases: &[(&str, &[&str])] = &[
        ("echo hi\n", &["echo"]),
        ("a | b -x | c > out 2>&1\n", &["a", "b", "c"]),
        ("a && b || c; d & e\n", &["a", "b", "c", "d", "e"]),
        (
            "if test -f x; then cp x y; elif true; then :; else rm y; fi\n",
            &[":", "cp", "rm", "test", "true"],
        ),
        ("while read l; do echo $l; done < file\n", &["echo", "read"]),
        ("until false; do sleep 1; done\n", &["false", "sleep"]),
        (
            "for f in $(ls) `find .`; do install $f; done\n",
            &["find", "install", "ls"],
        ),
        (
            "case $x in\n  a|b) foo ;;\n  *) bar; baz ;;\nesac\n",
            &["bar", "baz", "foo"],
        ),
        ("(cd dir && make)\n", &["cd", "make"]),
        ("{ one; two; } > log\n", &["one", "two"]),
        ("X=$(gen) Y=`other` cmd arg\n", &["cmd", "gen", "other"]),
        ("FOO=bar\n", &[]),
        ("echo \"$(inner a b)\" 'no $(x)'\n", &["echo", "inner"]),
        ("$(which python3) script.py\n", &["which"]),
        ("${CC} -c x.c\n", &[]),
        ("myfunc() {\n\thelper\n}\nmyfunc\n", &["helper"]),
        (
            "cat <<EOF\nnot a command $(nor this)\nEOF\nafter\n",
            &["after", "cat"],
        ),
        (
            "cat <<-'END' | tr a b\n\tbody line\n\tEND\nnext\n",
            &["cat", "next", "tr"],
        ),
        ("# comment only\necho a # trailing\n", &["echo"]),
        ("eval \"foo bar\"\n", &["\"foo bar\""]),
        ("eval foo bar\n", &["foo"]),
        ("echo ${X:-$(hidden)} $((1 + 2))\n", &["echo"]),
        ("a \\\n  b\nc\n", &["a", "c"]),
        ("\"quoted\" arg\n", &["\"quoted\""]),
        (
            "export A=1 B\nlocal v=$(calc)\n",
            &["calc", "export", "local"],
        ),
        ("! grep -q x f\n", &["grep"]),
        ("x=1; y=2 z\n", &["z"]),
        (
            "oe_runmake\n\tinstall -d ${D}/x\n",
            &["install", "oe_runmake"],
        ),
    ];
    for (src, want) in cases {
        assert_eq!(
            execs(src),
            want.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
            "for {src:?}"
        );
    }
}

#[test]
fn nested_functions_are_excluded_everywhere() {
    assert_eq!(execs("a() { b; }\nc() { a; }\nc\n"), ["b"]);
}

#[test]
fn unterminated_input_does_not_panic() {
    for src in [
        "echo \"abc",
        "x=$(foo",
        "case x in",
        "if true; then",
        "cat <<EOF\nno end",
        "`",
        "f() ",
    ] {
        let _ = shell_execs(src);
    }
}
