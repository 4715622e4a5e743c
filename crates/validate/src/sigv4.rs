//! AWS Signature Version 4, only as much as one `sts:GetCallerIdentity` POST needs (no query
//! string, a form body, the `host` and `x-amz-date` headers signed).

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    // HMAC takes a key of any length: new_from_slice cannot fail for it.
    match HmacSha256::new_from_slice(key) {
        Ok(mut m) => {
            m.update(data);
            m.finalize().into_bytes().to_vec()
        }
        Err(_) => Vec::new(),
    }
}

/// What is signed.
pub struct Request<'a> {
    pub method: &'a str,
    pub host: &'a str,
    pub path: &'a str,
    pub content_type: &'a str,
    pub body: &'a [u8],
    /// `YYYYMMDDTHHMMSSZ`.
    pub amz_date: &'a str,
    pub region: &'a str,
    pub service: &'a str,
}

/// The `Authorization` header value for `req` signed with the key pair.
pub fn authorization(req: &Request<'_>, key_id: &str, secret: &str) -> String {
    let date = req.amz_date.get(..8).unwrap_or(req.amz_date);
    let payload = hex(&Sha256::digest(req.body));
    let signed_headers = "content-type;host;x-amz-date";
    let canonical = format!(
        "{}\n{}\n\ncontent-type:{}\nhost:{}\nx-amz-date:{}\n\n{signed_headers}\n{payload}",
        req.method, req.path, req.content_type, req.host, req.amz_date
    );
    let scope = format!("{date}/{}/{}/aws4_request", req.region, req.service);
    let to_sign = format!(
        "AWS4-HMAC-SHA256\n{}\n{scope}\n{}",
        req.amz_date,
        hex(&Sha256::digest(canonical.as_bytes()))
    );
    let k_date = hmac(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    let k_region = hmac(&k_date, req.region.as_bytes());
    let k_service = hmac(&k_region, req.service.as_bytes());
    let k_signing = hmac(&k_service, b"aws4_request");
    let signature = hex(&hmac(&k_signing, to_sign.as_bytes()));
    format!(
        "AWS4-HMAC-SHA256 Credential={key_id}/{scope}, SignedHeaders={signed_headers}, Signature={signature}"
    )
}

/// `YYYYMMDDTHHMMSSZ` for seconds since the epoch (UTC): the RFC 3339 form without separators.
pub fn amz_date(unix: u64) -> String {
    pipeguard_attest::time::format_rfc3339(i64::try_from(unix).unwrap_or(i64::MAX))
        .replace(['-', ':'], "")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// AWS's published example of a signed STS-style POST (the SigV4 test suite's
    /// `post-x-www-form-urlencoded` case: `Param1=value1`, example credentials).
    #[test]
    fn the_aws_test_suite_form_post() {
        let req = Request {
            method: "POST",
            host: "example.amazonaws.com",
            path: "/",
            content_type: "application/x-www-form-urlencoded",
            body: b"Param1=value1",
            amz_date: "20150830T123600Z",
            region: "us-east-1",
            service: "service",
        };
        let auth = authorization(
            &req,
            "AKIDEXAMPLE",
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        );
        assert_eq!(
            auth,
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
             SignedHeaders=content-type;host;x-amz-date, \
             Signature=ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"
        );
    }

    #[test]
    fn dates() {
        assert_eq!(amz_date(0), "19700101T000000Z");
        assert_eq!(amz_date(1_440_938_160), "20150830T123600Z");
        assert_eq!(amz_date(1_798_761_599), "20261231T235959Z");
        assert_eq!(amz_date(951_782_400), "20000229T000000Z");
    }
}
