//! CSRF protection as Django does it (the token in a cookie and in the page; a
//! POST/PUT/PATCH/DELETE must send it back in `X-CSRFToken` or be refused with 403),
//! with tokens that cannot be forged: a random nonce and its keyed BLAKE3 MAC under a
//! secret drawn when the server starts.

use std::sync::atomic::{AtomicU64, Ordering};

/// The cookie's name (Django's).
pub(crate) const COOKIE: &str = "csrftoken";
/// The header a request must carry (Django's).
pub(crate) const HEADER: &str = "x-csrftoken";

/// Makes and checks tokens.
pub(crate) struct Csrf {
    secret: [u8; 32],
    counter: AtomicU64,
}

impl Csrf {
    /// A new secret from the system's random source (else from the clock and pid,
    /// hashed: still unknown to a client).
    pub(crate) fn new() -> Csrf {
        let mut secret = [0u8; 32];
        match read_random() {
            Some(r) => secret = r,
            None => {
                let t = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_nanos())
                    .unwrap_or(0);
                let mut h = blake3::Hasher::new();
                h.update(&t.to_le_bytes());
                h.update(&std::process::id().to_le_bytes());
                secret.copy_from_slice(h.finalize().as_bytes());
            }
        }
        Csrf {
            secret,
            counter: AtomicU64::new(0),
        }
    }

    fn mac(&self, nonce: &str) -> String {
        let h = blake3::keyed_hash(&self.secret, nonce.as_bytes());
        h.to_hex()[..32].to_owned()
    }

    /// A fresh token.
    pub(crate) fn token(&self) -> String {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let mut h = blake3::Hasher::new_keyed(&self.secret);
        h.update(b"nonce");
        h.update(&n.to_le_bytes());
        h.update(&t.to_le_bytes());
        let nonce = h.finalize().to_hex()[..32].to_owned();
        let mac = self.mac(&nonce);
        format!("{nonce}{mac}")
    }

    /// Whether `token` is one of ours.
    pub(crate) fn valid(&self, token: &str) -> bool {
        if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
            return false;
        }
        let (nonce, mac) = token.split_at(32);
        // Constant time: compare every byte.
        let want = self.mac(nonce);
        want.bytes()
            .zip(mac.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
    }
}

/// 32 bytes of `/dev/urandom`.
fn read_random() -> Option<[u8; 32]> {
    use std::io::Read as _;
    let mut f = fs_err::File::open("/dev/urandom").ok()?;
    let mut b = [0u8; 32];
    f.read_exact(&mut b).ok()?;
    Some(b)
}

/// The value of cookie `name` in a `Cookie` header.
pub(crate) fn cookie<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    header.split(';').find_map(|kv| {
        let (k, v) = kv.trim().split_once('=')?;
        (k == name).then_some(v)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_verify_and_forgeries_do_not() {
        let c = Csrf::new();
        let t = c.token();
        assert!(c.valid(&t));
        assert_ne!(t, c.token());
        let mut forged = t.clone();
        forged.replace_range(63..64, if t.ends_with('0') { "1" } else { "0" });
        assert!(!c.valid(&forged));
        assert!(!c.valid("x"));
        assert!(!Csrf::new().valid(&t));
        assert_eq!(cookie("a=1; csrftoken=abc; b=2", COOKIE), Some("abc"));
    }
}
