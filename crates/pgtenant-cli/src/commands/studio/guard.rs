//! Who may talk to the studio: a browser on this machine that was handed the
//! per-run token (Jupyter's model).
//!
//! Every request must carry a Host header that is exactly the loopback
//! address and port the server bound (a DNS-rebinding page sends its own
//! host name), an Origin, when it sends one, of that same address, and the
//! token: as the `token` query parameter on the first visit, which answers
//! with a redirect to the same address without it and an HttpOnly,
//! SameSite=Strict cookie, then as that cookie. Tokens are compared in
//! constant time. Anything else gets 403 and no detail of what was expected
//! beyond the address.
//!
//! Every response, refused or not, carries the security headers: a
//! Content-Security-Policy that allows only the studio's own assets, no
//! framing, no referrer (the first URL holds the token), no caching.

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rand::RngCore;
use std::sync::Arc;
use subtle::ConstantTimeEq;

/// The query parameter that carries the token on the first visit.
const TOKEN_PARAM: &str = "token";

/// The text of a refused request without (or with a wrong) token.
pub const NO_TOKEN: &str = "403 forbidden: this page needs the studio's token; \
open the URL that `pgtenant studio` printed";

/// The per-run secret and the address it guards.
#[derive(Clone)]
pub struct Guard {
    token: Arc<str>,
    /// `127.0.0.1:<port>`: the only Host accepted.
    host: Arc<str>,
    /// `http://127.0.0.1:<port>`: the only Origin accepted.
    origin: Arc<str>,
    /// Cookies are per host, not per port: one name per port, so two
    /// studios on one machine do not overwrite each other's.
    cookie: Arc<str>,
}

impl std::fmt::Debug for Guard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Guard")
            .field("host", &self.host)
            .field("token", &"***")
            .finish()
    }
}

impl Guard {
    /// A fresh token (32 bytes from the operating system's CSPRNG) for a
    /// server bound to 127.0.0.1:`port`.
    pub fn new(port: u16) -> Guard {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        Guard {
            token: hex::encode(bytes).into(),
            host: format!("127.0.0.1:{port}").into(),
            origin: format!("http://127.0.0.1:{port}").into(),
            cookie: format!("pgtenant_studio_{port}").into(),
        }
    }

    /// `http://127.0.0.1:<port><path>?token=…`: what the command prints.
    pub fn url_with_token(&self, path: &str) -> String {
        format!("{}{path}?{TOKEN_PARAM}={}", self.origin, self.token)
    }

    fn is_token(&self, candidate: &str) -> bool {
        // The length of the token is no secret; its bytes are.
        candidate.len() == self.token.len()
            && bool::from(candidate.as_bytes().ct_eq(self.token.as_bytes()))
    }

    /// Why `headers` are refused, if they are.
    fn refuse_headers(&self, headers: &HeaderMap) -> Option<String> {
        let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
        if host != Some(&*self.host) {
            return Some(format!(
                "403 forbidden: the Host header is not {}; the studio answers only on the \
                 loopback address it bound",
                self.host
            ));
        }
        if let Some(origin) = headers.get(header::ORIGIN) {
            if origin.to_str().ok() != Some(&*self.origin) {
                return Some(format!(
                    "403 forbidden: the Origin header is not {}; the studio answers only pages \
                     it served",
                    self.origin
                ));
            }
        }
        None
    }

    fn cookie_token<'h>(&self, headers: &'h HeaderMap) -> Option<&'h str> {
        headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(name, _)| *name == &*self.cookie)
            .map(|(_, value)| value)
    }
}

/// The middleware in front of every route.
pub async fn check(State(guard): State<Guard>, request: Request, next: Next) -> Response {
    let mut response = decide(&guard, request, next).await;
    secure_headers(response.headers_mut());
    response
}

enum Decision {
    Refuse(String),
    /// The token was in the query: set the cookie, go to this address.
    Redirect(String),
    Pass,
}

async fn decide(guard: &Guard, request: Request, next: Next) -> Response {
    match judge(guard, &request) {
        Decision::Pass => next.run(request).await,
        Decision::Refuse(why) => (StatusCode::FORBIDDEN, why).into_response(),
        Decision::Redirect(location) => {
            let cookie = format!(
                "{}={}; HttpOnly; SameSite=Strict; Path=/",
                guard.cookie, guard.token
            );
            let mut response = StatusCode::SEE_OTHER.into_response();
            let headers = response.headers_mut();
            if let (Ok(location), Ok(cookie)) = (
                HeaderValue::from_str(&location),
                HeaderValue::from_str(&cookie),
            ) {
                headers.insert(header::LOCATION, location);
                headers.insert(header::SET_COOKIE, cookie);
            }
            response
        }
    }
}

fn judge(guard: &Guard, request: &Request) -> Decision {
    if let Some(why) = guard.refuse_headers(request.headers()) {
        return Decision::Refuse(why);
    }
    let query = request.uri().query().unwrap_or_default();
    let mut presented = None;
    let mut rest = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
        if name == TOKEN_PARAM {
            presented = Some(value.into_owned());
        } else {
            rest.append_pair(&name, &value);
        }
    }
    if let Some(token) = presented {
        if !guard.is_token(&token) {
            return Decision::Refuse(NO_TOKEN.to_owned());
        }
        // Trade the token in the address for the cookie, so it leaves the
        // address bar and the history.
        let rest = rest.finish();
        let path = request.uri().path();
        return Decision::Redirect(if rest.is_empty() {
            path.to_owned()
        } else {
            format!("{path}?{rest}")
        });
    }
    match guard.cookie_token(request.headers()) {
        Some(token) if guard.is_token(token) => Decision::Pass,
        _ => Decision::Refuse(NO_TOKEN.to_owned()),
    }
}

fn secure_headers(headers: &mut HeaderMap) {
    let fixed = [
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; \
             form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::CACHE_CONTROL, "no-store"),
    ];
    for (name, value) in fixed {
        headers.insert(name, HeaderValue::from_static(value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(k.clone(), HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn tokens_are_random_and_compared_whole() {
        let a = Guard::new(1);
        let b = Guard::new(1);
        assert_ne!(a.token, b.token);
        assert_eq!(a.token.len(), 64);
        assert!(a.is_token(&a.token));
        assert!(!a.is_token(&b.token));
        assert!(!a.is_token(&a.token[..63]));
        assert!(!a.is_token(""));
        assert!(!format!("{a:?}").contains(&*a.token));
    }

    #[test]
    fn host_and_origin_must_be_the_bound_address() {
        let g = Guard::new(4321);
        let ok = headers(&[(header::HOST, "127.0.0.1:4321")]);
        assert_eq!(g.refuse_headers(&ok), None);
        for bad in [
            "localhost:4321",
            "127.0.0.1:80",
            "evil.example:4321",
            "127.0.0.1",
        ] {
            assert!(g.refuse_headers(&headers(&[(header::HOST, bad)])).is_some());
        }
        let same = headers(&[
            (header::HOST, "127.0.0.1:4321"),
            (header::ORIGIN, "http://127.0.0.1:4321"),
        ]);
        assert_eq!(g.refuse_headers(&same), None);
        let foreign = headers(&[
            (header::HOST, "127.0.0.1:4321"),
            (header::ORIGIN, "http://evil.example"),
        ]);
        assert!(g.refuse_headers(&foreign).is_some());
    }

    #[test]
    fn the_cookie_is_found_among_others() {
        let g = Guard::new(7);
        let h = headers(&[(
            header::COOKIE,
            &format!("a=1; pgtenant_studio_7={}; b=2", g.token),
        )]);
        assert_eq!(g.cookie_token(&h), Some(&*g.token));
        let other_port = headers(&[(header::COOKIE, "pgtenant_studio_8=x")]);
        assert_eq!(g.cookie_token(&other_port), None);
    }
}
