use super::*;

#[test]
fn round_trip_and_defaults() {
    let text = "/usr/bin/x 1000 100\n# comment\n/dev/console 0 0 c 5 1 0600\n";
    let r = OwnerRecord::parse("owners", text).unwrap();
    assert_eq!(r.get("/usr/bin/x").uid, 1000);
    assert_eq!(r.get("/usr//bin/./x").gid, 100);
    assert_eq!(r.get("/etc/other"), Owner::default());
    let dev = r.get("/dev/console").device.unwrap();
    assert!(dev.char && dev.major == 5 && dev.minor == 1 && dev.mode == 0o600);
    let again = OwnerRecord::parse("owners", &r.to_text()).unwrap();
    assert_eq!(again, r);
}

#[test]
fn errors_name_file_and_line() {
    let e = OwnerRecord::parse("f", "/a 0 0\n/b x 0\n")
        .unwrap_err()
        .to_string();
    assert_eq!(e, "f:2: uid `x` is not a number");
    let e = OwnerRecord::parse("f", "/../../etc 0 0\n")
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("f:1: path `/../../etc`"), "{e}");
}
