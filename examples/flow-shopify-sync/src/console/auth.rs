//! Sign-in, sessions, CSRF tokens, the sign-in rate limit and roles.
//!
//! - A session is a random 256-bit id in the cookie `fss_session` (`HttpOnly`,
//!   `SameSite=Strict`, `Path=/console`, `Secure` when configured or behind TLS), kept in
//!   memory: a restart signs everyone out.
//! - Every form carries the session's CSRF token (a second random 256-bit value); a POST whose
//!   token is missing or wrong is refused with 403 before anything runs. The sign-in form,
//!   before there is a session, uses a double-submit token (cookie `fss_login` = form field).
//! - Failed sign-ins are counted per operator name and in all, over 15 minutes; past
//!   `console.login_attempts` (or ten times it in all) sign-ins answer 429 until the window
//!   passes, whatever the password.
//! - Passwords are checked against the configured Argon2 PHC hash on a blocking thread.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use argon2::{Argon2, PasswordHash, PasswordVerifier};
use axum::extract::{Form, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine as _;
use maud::html;
use rand::RngCore;
use serde::Deserialize;
use subtle::ConstantTimeEq;

use super::Console;
use super::layout;
use crate::config::{ConsoleSection, Role};

/// The session cookie.
pub const SESSION_COOKIE: &str = "fss_session";
/// The sign-in form's double-submit cookie.
pub const LOGIN_COOKIE: &str = "fss_login";
/// The window over which failed sign-ins are counted.
const WINDOW: Duration = Duration::from_secs(15 * 60);
/// The most sessions kept at once (the oldest go first).
const MAX_SESSIONS: usize = 1_000;

/// A signed-in operator.
#[derive(Debug, Clone)]
pub struct Session {
    /// The operator's name.
    pub operator: String,
    /// What they may do.
    pub role: Role,
    /// The token every form of this session carries.
    pub csrf: String,
    expires: Instant,
}

struct Operator {
    name: String,
    role: Role,
    hash: String,
}

/// Operators, sessions and failed sign-ins.
pub struct Auth {
    operators: Vec<Operator>,
    sessions: Mutex<HashMap<String, Session>>,
    failures: Mutex<Vec<(Instant, String)>>,
    /// Failed sign-ins allowed per name per window.
    attempts: u32,
    session_length: Duration,
    secure: bool,
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.operators.iter().map(|o| o.name.as_str()).collect();
        f.debug_struct("Auth")
            .field("operators", &names)
            .field("attempts", &self.attempts)
            .field("secure", &self.secure)
            .finish_non_exhaustive()
    }
}

/// A random 256-bit token, URL-safe base64.
pub fn token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Whether `a` and `b` are equal, in time independent of where they differ.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// The value of cookie `name` in `headers`.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

impl Auth {
    /// The operators of `section`.
    pub fn new(section: &ConsoleSection) -> Auth {
        Auth {
            operators: section
                .operators
                .iter()
                .map(|o| Operator {
                    name: o.name.clone(),
                    role: o.role,
                    hash: o.password_hash.clone(),
                })
                .collect(),
            sessions: Mutex::default(),
            failures: Mutex::default(),
            attempts: section.login_attempts,
            session_length: Duration::from_secs(section.session_minutes * 60),
            secure: section.secure_cookie.unwrap_or(false),
        }
    }

    fn cookie_flags(&self, headers: &HeaderMap) -> &'static str {
        let tls = headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("https"));
        if self.secure || tls {
            "; Path=/console; HttpOnly; SameSite=Strict; Secure"
        } else {
            "; Path=/console; HttpOnly; SameSite=Strict"
        }
    }

    /// The session of the request's cookie, if it is live.
    pub fn session(&self, headers: &HeaderMap) -> Option<Session> {
        let id = cookie(headers, SESSION_COOKIE)?;
        let mut sessions = self.sessions.lock().ok()?;
        let now = Instant::now();
        sessions.retain(|_, s| s.expires > now);
        sessions.get(id).cloned()
    }

    /// Whether `name` (or everyone) has used up the failed sign-ins of the window.
    fn limited(&self, name: &str) -> bool {
        let Ok(mut failures) = self.failures.lock() else {
            return true;
        };
        let now = Instant::now();
        failures.retain(|(at, _)| now.duration_since(*at) < WINDOW);
        let for_name = failures
            .iter()
            .filter(|(_, n)| n.eq_ignore_ascii_case(name))
            .count();
        for_name >= self.attempts as usize || failures.len() >= self.attempts as usize * 10
    }

    fn failed(&self, name: &str) {
        if let Ok(mut failures) = self.failures.lock() {
            failures.push((Instant::now(), name.to_owned()));
        }
    }

    fn start(&self, operator: &str, role: Role) -> (String, Session) {
        let id = token();
        let session = Session {
            operator: operator.to_owned(),
            role,
            csrf: token(),
            expires: Instant::now() + self.session_length,
        };
        if let Ok(mut sessions) = self.sessions.lock() {
            if sessions.len() >= MAX_SESSIONS
                && let Some(oldest) = sessions
                    .iter()
                    .min_by_key(|(_, s)| s.expires)
                    .map(|(k, _)| k.clone())
            {
                sessions.remove(&oldest);
            }
            sessions.insert(id.clone(), session.clone());
        }
        (id, session)
    }

    fn end(&self, headers: &HeaderMap) {
        if let (Some(id), Ok(mut sessions)) =
            (cookie(headers, SESSION_COOKIE), self.sessions.lock())
        {
            sessions.remove(id);
        }
    }
}

/// A request from a signed-in operator: pages take it as an argument; without a live session
/// a GET is sent to the sign-in page and a POST refused.
#[derive(Debug, Clone)]
pub struct Signed(pub Session);

impl FromRequestParts<Console> for Signed {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, console: &Console) -> Result<Self, Response> {
        match console.auth.session(&parts.headers) {
            Some(session) => Ok(Signed(session)),
            None if parts.method == axum::http::Method::GET => {
                Err(Redirect::to("/console/login").into_response())
            }
            None => Err((StatusCode::FORBIDDEN, "sign in first").into_response()),
        }
    }
}

/// A refused POST: answered 403 with the reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refused(pub &'static str);

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        (StatusCode::FORBIDDEN, self.0).into_response()
    }
}

impl Signed {
    /// The session's CSRF token checked against a form's: 403 unless they match.
    ///
    /// # Errors
    ///
    /// [`Refused`] when the token is missing or wrong.
    pub fn check(&self, form_token: Option<&str>) -> Result<(), Refused> {
        match form_token {
            Some(t) if same(t, &self.0.csrf) => Ok(()),
            _ => Err(Refused(
                "refused: the form's security token is missing or out of date; reload the page and try again",
            )),
        }
    }

    /// As [`Signed::check`], and 403 unless the operator may act (role `operator`).
    ///
    /// # Errors
    ///
    /// [`Refused`] when the token is wrong or the role is `read_only`.
    pub fn may_act(&self, form_token: Option<&str>) -> Result<(), Refused> {
        self.check(form_token)?;
        if self.0.role == Role::Operator {
            Ok(())
        } else {
            Err(Refused("refused: your role is read_only; ask an operator"))
        }
    }
}

/// The sign-in form.
pub async fn login_page(State(console): State<Console>, headers: HeaderMap) -> Response {
    login_form(&console, &headers, None, StatusCode::OK)
}

fn login_form(
    console: &Console,
    headers: &HeaderMap,
    error: Option<&str>,
    status: StatusCode,
) -> Response {
    let token = token();
    let body = layout::bare(
        "Sign in",
        html! {
            form.card method="post" action="/console/login" {
                h1 { "Sign in" }
                @if let Some(error) = error { p.bad role="alert" { (error) } }
                input type="hidden" name="csrf" value=(token);
                label { "Name" input name="name" autocomplete="username" required; }
                label { "Password" input name="password" type="password" autocomplete="current-password" required; }
                button type="submit" { "Sign in" }
            }
        },
    );
    let mut response = (status, body).into_response();
    if let Ok(value) = HeaderValue::from_str(&format!(
        "{LOGIN_COOKIE}={token}{}",
        console.auth.cookie_flags(headers)
    )) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// The sign-in form's fields. Its `Debug` shows no password.
#[derive(Deserialize)]
pub struct LoginForm {
    csrf: Option<String>,
    name: String,
    password: String,
}

impl std::fmt::Debug for LoginForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginForm")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// Checks a sign-in; on success starts a session and goes to the overview.
pub async fn login(
    State(console): State<Console>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let expected = cookie(&headers, LOGIN_COOKIE).unwrap_or_default();
    if expected.is_empty() || !form.csrf.as_deref().is_some_and(|t| same(t, expected)) {
        return (
            StatusCode::FORBIDDEN,
            "refused: the sign-in form's security token is missing or out of date; reload the page",
        )
            .into_response();
    }
    let name = form.name.trim().to_owned();
    let auth = &console.auth;
    if auth.limited(&name) {
        tracing::warn!(operator = %name, "console sign-in refused: too many failed attempts");
        return login_form(
            &console,
            &headers,
            Some("Too many failed sign-ins: wait 15 minutes and try again."),
            StatusCode::TOO_MANY_REQUESTS,
        );
    }
    let found = auth
        .operators
        .iter()
        .find(|o| o.name.eq_ignore_ascii_case(&name))
        .map(|o| (o.name.clone(), o.role, o.hash.clone()));
    let password = form.password;
    let verified = match found {
        Some((operator, role, hash)) => tokio::task::spawn_blocking(move || {
            let ok = PasswordHash::new(&hash).is_ok_and(|h| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &h)
                    .is_ok()
            });
            ok.then_some((operator, role))
        })
        .await
        .ok()
        .flatten(),
        None => None,
    };
    let Some((operator, role)) = verified else {
        auth.failed(&name);
        tracing::warn!(operator = %name, "console sign-in failed");
        return login_form(
            &console,
            &headers,
            Some("Wrong name or password."),
            StatusCode::UNAUTHORIZED,
        );
    };
    let (id, _) = auth.start(&operator, role);
    console
        .record(
            &operator,
            "sign_in",
            &format!("operator:{operator}"),
            serde_json::json!({"role": role.as_str()}),
        )
        .await;
    let mut response = Redirect::to("/console/").into_response();
    if let Ok(value) = HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={id}{}",
        auth.cookie_flags(&headers)
    )) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// A form with only the CSRF token.
#[derive(Debug, Deserialize)]
pub struct TokenForm {
    /// The CSRF token.
    pub csrf: Option<String>,
}

/// Ends the session.
pub async fn logout(
    State(console): State<Console>,
    signed: Signed,
    headers: HeaderMap,
    Form(form): Form<TokenForm>,
) -> Response {
    if let Err(refused) = signed.check(form.csrf.as_deref()) {
        return refused.into_response();
    }
    console.auth.end(&headers);
    console
        .record(
            &signed.0.operator,
            "sign_out",
            &format!("operator:{}", signed.0.operator),
            serde_json::Value::Null,
        )
        .await;
    let mut response = Redirect::to("/console/login").into_response();
    if let Ok(value) = HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}=; Max-Age=0{}",
        console.auth.cookie_flags(&headers)
    )) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// A PHC string (Argon2id, a random salt, the crate's default cost) of `password`, for
/// `console.operators[].password_hash_env` / `_file`.
///
/// # Errors
///
/// When the password cannot be hashed (empty, or over Argon2's limits).
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    use argon2::PasswordHasher;
    use argon2::password_hash::SaltString;
    if password.is_empty() {
        anyhow::bail!("password: must not be empty");
    }
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("password: cannot be hashed: {e}"))
}
