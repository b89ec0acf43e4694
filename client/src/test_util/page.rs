//! The HTML of the managed-login side: the sign-in form, the MFA choice and code forms, the
//! new password form, and error pages. Plain forms, no JavaScript, so a person or a WebDriver
//! session fills them in: inputs `username`, `password`, `mfa`, `code`, `new_password`, a
//! hidden `transaction`, and a submit button with id and name `signin`.

use http_body_util::Full;
use hyper::body::Bytes;

use super::reply::Response;

/// Text made safe inside HTML (element content and quoted attribute values).
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A page: no caching, no framing, no scripts, no referrer.
pub(crate) fn html(status: u16, title: &str, body: &str, cookies: &[String]) -> Response {
    let document = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>body{{font-family:sans-serif;max-width:24em;margin:3em auto}}\
         label,input,button{{display:block;margin:.4em 0}}.error{{color:#a00}}</style>\n\
         </head>\n<body>\n<h1>{}</h1>\n{body}</body>\n</html>\n",
        escape(title),
        escape(title)
    );
    let mut builder = http::Response::builder()
        .status(status)
        .header(http::header::CONTENT_TYPE, "text/html; charset=utf-8")
        .header(http::header::CACHE_CONTROL, "no-store")
        .header(
            "content-security-policy",
            "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
        )
        .header("x-frame-options", "DENY")
        .header("x-content-type-options", "nosniff")
        .header("referrer-policy", "no-referrer");
    for cookie in cookies {
        builder = builder.header(http::header::SET_COOKIE, cookie);
    }
    builder
        .body(Full::new(Bytes::from(document)))
        .unwrap_or_else(|_| http::Response::new(Full::new(Bytes::new())))
}

/// An error page (never a redirect).
pub(crate) fn error(status: u16, message: &str) -> Response {
    html(
        status,
        "Sign-in error",
        &format!("<p class=\"error\" id=\"error\">{}</p>\n", escape(message)),
        &[],
    )
}

fn message(error: Option<&str>) -> String {
    error.map_or_else(String::new, |e| {
        format!("<p class=\"error\" id=\"error\">{}</p>\n", escape(e))
    })
}

fn form(transaction: &str, fields: &str, button: &str) -> String {
    form_with(transaction, fields, button, "")
}

/// A form with more buttons after its main one (which stays the one Enter presses).
fn form_with(transaction: &str, fields: &str, button: &str, after: &str) -> String {
    format!(
        "<form method=\"post\" action=\"/login\">\n\
         <input type=\"hidden\" name=\"transaction\" value=\"{}\">\n{fields}\
         <button type=\"submit\" id=\"signin\" name=\"signin\" value=\"1\">{}</button>\n{after}</form>\n",
        escape(transaction),
        escape(button)
    )
}

/// The user name and password form.
///
/// `codes` are the passwordless first factors the pool allows (`EMAIL_OTP`, `SMS_OTP`): each is
/// a button (`id` `email_code` or `sms_code`, `name="method"`) that signs in with a one-time
/// code instead of the password (`USER_AUTH`).
pub(crate) fn sign_in(
    transaction: &str,
    error: Option<&str>,
    username: &str,
    cookies: &[String],
    codes: &[&str],
) -> Response {
    let fields = format!(
        "<label for=\"username\">Username</label>\n\
         <input type=\"text\" id=\"username\" name=\"username\" value=\"{}\" \
         autocomplete=\"username\" autocapitalize=\"none\" required>\n\
         <label for=\"password\">Password</label>\n\
         <input type=\"password\" id=\"password\" name=\"password\" \
         autocomplete=\"current-password\" required>\n",
        escape(username)
    );
    html(
        200,
        "Sign in",
        &format!(
            "{}{}",
            message(error),
            form_with(transaction, &fields, "Sign in", &code_buttons(codes))
        ),
        cookies,
    )
}

/// The buttons of the passwordless first factors.
fn code_buttons(codes: &[&str]) -> String {
    codes
        .iter()
        .filter_map(|factor| match *factor {
            "EMAIL_OTP" => Some(("email_code", "EMAIL_OTP", "Email me a sign-in code")),
            "SMS_OTP" => Some(("sms_code", "SMS_OTP", "Text me a sign-in code")),
            _ => None,
        })
        .map(|(id, value, label)| {
            format!(
                "<button type=\"submit\" id=\"{id}\" name=\"method\" value=\"{value}\" \
                 formnovalidate>{label}</button>\n"
            )
        })
        .collect()
}

/// The code form: MFA (`SMS_MFA`, `SOFTWARE_TOKEN_MFA`, `EMAIL_OTP`) or a passwordless
/// sign-in's one-time code (`EMAIL_OTP`, `SMS_OTP`).
pub(crate) fn mfa(transaction: &str, challenge: &str, error: Option<&str>) -> Response {
    let what = match challenge {
        "SMS_MFA" | "SMS_OTP" => "Enter the code sent to your phone.",
        "EMAIL_OTP" => "Enter the code sent to your email.",
        _ => "Enter the code from your authenticator app.",
    };
    let fields = format!(
        "<p id=\"challenge\" data-challenge=\"{}\">{what}</p>\n\
         <label for=\"code\">Code</label>\n\
         <input type=\"text\" id=\"code\" name=\"code\" inputmode=\"numeric\" \
         autocomplete=\"one-time-code\" required>\n",
        escape(challenge)
    );
    html(
        200,
        "Multi-factor authentication",
        &format!(
            "{}{}",
            message(error),
            form(transaction, &fields, "Sign in")
        ),
        &[],
    )
}

/// The choice of MFA method (`SELECT_MFA_TYPE`): a radio input `mfa` per method offered (id
/// `mfa_<method>`, e.g. `mfa_SOFTWARE_TOKEN_MFA`).
pub(crate) fn select_mfa(transaction: &str, options: &[String], error: Option<&str>) -> Response {
    let fields: String = options
        .iter()
        .map(|option| {
            let label = match option.as_str() {
                "SMS_MFA" => "A code sent to your phone",
                "EMAIL_OTP" => "A code sent to your email",
                "SOFTWARE_TOKEN_MFA" => "A code from your authenticator app",
                other => other,
            };
            format!(
                "<label><input type=\"radio\" id=\"mfa_{0}\" name=\"mfa\" value=\"{0}\" \
                 required> {1}</label>\n",
                escape(option),
                escape(label)
            )
        })
        .collect();
    html(
        200,
        "Choose how to verify",
        &format!(
            "{}{}",
            message(error),
            form(transaction, &fields, "Continue")
        ),
        &[],
    )
}

/// The new password form (`NEW_PASSWORD_REQUIRED`).
pub(crate) fn new_password(transaction: &str, error: Option<&str>) -> Response {
    let fields = "<label for=\"new_password\">New password</label>\n\
                  <input type=\"password\" id=\"new_password\" name=\"new_password\" \
                  autocomplete=\"new-password\" required>\n";
    html(
        200,
        "Change your password",
        &format!(
            "{}{}",
            message(error),
            form(transaction, fields, "Change password")
        ),
        &[],
    )
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escape_leaves_no_markup() {
        assert_eq!(
            escape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }
}
