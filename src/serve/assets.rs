//! The page, embedded in the binary: no CDN, no external fonts, nothing inline (the
//! Content-Security-Policy allows scripts and styles from this origin only).

/// The page's HTML.
pub const INDEX_HTML: &str = include_str!("page/index.html");
/// Search as you type, keyboard use, the A-Z view.
pub const APP_JS: &str = include_str!("page/app.js");
/// Light and dark, readable at 400 px.
pub const APP_CSS: &str = include_str!("page/app.css");
