//! The page shell: head, inline CSS (readable on a phone, no external asset), navigation and
//! the sign-out form; small helpers shared by the pages.

use chrono::{DateTime, Utc};
use maud::{DOCTYPE, Markup, PreEscaped, html};

use super::auth::Signed;

/// The console's style sheet, inline: one request per page, nothing to fetch.
const CSS: &str = r#"
:root{--ink:#1d232a;--mute:#5b6570;--line:#d8dde3;--bad:#a3122a;--badbg:#fde8ec;--warn:#8a5a00;--warnbg:#fff4d6;--ok:#1c6b34;--okbg:#e5f5ea;--acc:#1b4f9c}
*{box-sizing:border-box}body{margin:0;font:16px/1.45 system-ui,-apple-system,"Segoe UI","Noto Sans","Noto Sans Arabic",sans-serif;color:var(--ink);background:#f6f7f9}
header{background:#fff;border-bottom:1px solid var(--line);padding:.5rem 1rem;display:flex;flex-wrap:wrap;gap:.25rem .9rem;align-items:center}
header b{margin-inline-end:auto}nav a{padding:.2rem .1rem;color:var(--acc);text-decoration:none}nav a.on{font-weight:700;border-bottom:2px solid var(--acc)}
main{padding:1rem;max-width:72rem;margin:0 auto}h1{font-size:1.4rem;margin:.2rem 0 1rem}h2{font-size:1.1rem;margin:1.4rem 0 .5rem}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(14rem,1fr));gap:.8rem}.card{background:#fff;border:1px solid var(--line);border-radius:.5rem;padding:.8rem 1rem}
.num{font-size:1.6rem;font-weight:700}.mute{color:var(--mute)}.bad{color:var(--bad)}.warn{color:var(--warn)}.ok{color:var(--ok)}
.scroll{overflow-x:auto}table{border-collapse:collapse;width:100%;background:#fff}th,td{border-bottom:1px solid var(--line);padding:.4rem .5rem;text-align:start;vertical-align:top}
td.n,th.n{text-align:end;font-variant-numeric:tabular-nums}tr.diff td{background:var(--badbg)}
.pill{display:inline-block;padding:0 .5rem;border-radius:1rem;font-size:.85rem}.pill.bad{background:var(--badbg)}.pill.warn{background:var(--warnbg)}.pill.ok{background:var(--okbg)}
.qr svg{width:10rem;height:10rem;background:#fff}
form.inline{display:inline}label{display:block;margin:.4rem 0}input,select,textarea,button{font:inherit}input,select,textarea{padding:.35rem;border:1px solid var(--line);border-radius:.3rem;max-width:100%}
textarea{width:100%;min-height:8rem;font-family:ui-monospace,monospace;font-size:.85rem}button{background:var(--acc);color:#fff;border:0;border-radius:.3rem;padding:.35rem .8rem;cursor:pointer}
button.quiet{background:#fff;color:var(--acc);border:1px solid var(--acc)}pre{white-space:pre-wrap;word-break:break-word;background:#fff;border:1px solid var(--line);padding:.5rem;font-size:.85rem;max-height:20rem;overflow:auto}
[dir=rtl],.ar{font-family:"Noto Naskh Arabic","Noto Sans Arabic",system-ui,sans-serif}
@media (max-width:40rem){body{font-size:15px}main{padding:.6rem}th,td{padding:.3rem}}
"#;

/// The pages of the navigation: path and title.
const PAGES: &[(&str, &str)] = &[
    ("/console/", "Overview"),
    ("/console/orders", "Orders"),
    ("/console/attention", "Needs attention"),
    ("/console/receipts", "Receipts"),
    ("/console/reconciliation", "Reconciliation"),
    ("/console/sync", "Sync now"),
];

fn head(title: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            meta name="referrer" content="same-origin";
            title { (title) " · flow-shopify-sync" }
            style { (PreEscaped(CSS)) }
        }
    }
}

/// A page without navigation (sign-in).
pub(crate) fn bare(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" dir="ltr" {
            (head(title))
            body { main { (body) } }
        }
    }
}

/// A console page: navigation with `path` marked, who is signed in, and `body`.
pub(crate) fn page(title: &str, path: &str, signed: &Signed, body: Markup) -> Markup {
    let session = &signed.0;
    html! {
        (DOCTYPE)
        html lang="en" dir="ltr" {
            (head(title))
            body {
                header {
                    b { "flow-shopify-sync" }
                    nav {
                        @for (href, name) in PAGES {
                            a href=(href) class=[(*href == path).then_some("on")] { (name) } " "
                        }
                    }
                    span.mute dir="auto" { (session.operator) " (" (session.role.as_str()) ")" }
                    form.inline method="post" action="/console/logout" {
                        (csrf(signed))
                        button.quiet type="submit" { "Sign out" }
                    }
                }
                main { h1 { (title) } (body) }
            }
        }
    }
}

/// The hidden CSRF field every form carries.
pub(crate) fn csrf(signed: &Signed) -> Markup {
    html! { input type="hidden" name="csrf" value=(signed.0.csrf); }
}

/// Text that may be Arabic (item, customer and store names): its direction follows its first
/// strong character.
pub(crate) fn text(value: &str) -> Markup {
    html! { bdi dir="auto" { (value) } }
}

/// A time as people read it, in UTC.
pub(crate) fn when(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// How long ago `at` was, roughly.
pub(crate) fn ago(at: DateTime<Utc>) -> String {
    let minutes = (Utc::now() - at).num_minutes().max(0);
    match minutes {
        0 => "just now".to_owned(),
        1..=59 => format!("{minutes} min ago"),
        60..=2879 => format!("{} h ago", minutes / 60),
        _ => format!("{} days ago", minutes / 1440),
    }
}

/// A problem shown in place of a page's content (the store or a system failed).
pub(crate) fn problem(what: &str, error: &dyn std::fmt::Display) -> Markup {
    html! { p.bad role="alert" { (what) ": " (error.to_string()) } }
}

/// JSON, pretty-printed and bounded, for payloads.
pub(crate) fn json(value: &serde_json::Value) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
    if text.len() > 64 * 1024 {
        let cut = text.floor_char_boundary(64 * 1024);
        text.truncate(cut);
        text.push_str("\n… (cut at 64 KiB)");
    }
    text
}
