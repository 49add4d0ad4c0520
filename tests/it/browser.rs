//! The page in a real browser: Debian's Chromium, headless, driven through chromedriver's
//! WebDriver protocol (plain JSON over HTTP, so no client crate). Skipped, with the reason
//! printed, where chromium or chromedriver is not installed (`.ci/run` installs both).

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::common::Sandbox;
use crate::serve::{request_with, Served};

/// The W3C WebDriver key for an element reference.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A chromedriver process with one headless Chromium session; both end on drop.
pub struct Browser {
    driver: Child,
    addr: String,
    session: String,
}

fn find_program(names: &[&str]) -> Option<String> {
    names.iter().find_map(|name| {
        Command::new(name)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .ok()
            .filter(|s| s.success())
            .map(|_| name.to_string())
    })
}

impl Browser {
    /// Starts chromedriver and a session, or says why not (then the test is skipped).
    pub fn start(width: u32, height: u32) -> Result<Browser, String> {
        let driver = find_program(&["chromedriver"])
            .ok_or("chromedriver not found (apt-get install chromium-driver)")?;
        let chromium = find_program(&["chromium", "chromium-browser"])
            .ok_or("chromium not found (apt-get install chromium)")?;
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| e.to_string())?
            .port();
        let child = Command::new(driver)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("chromedriver did not start: {e}"))?;
        let mut browser = Browser {
            driver: child,
            addr: format!("127.0.0.1:{port}"),
            session: String::new(),
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(&browser.addr).is_err() {
            if Instant::now() > deadline {
                return Err("chromedriver did not listen within 20 s".into());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let binary = String::from_utf8(
            Command::new("sh")
                .args(["-c", &format!("command -v {chromium}")])
                .output()
                .map_err(|e| e.to_string())?
                .stdout,
        )
        .map_err(|e| e.to_string())?;
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": binary.trim(),
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                         "--disable-dev-shm-usage", format!("--window-size={width},{height}")]
            }
        }}});
        let created = browser.call("POST", "/session", Some(caps));
        browser.session = created["value"]["sessionId"]
            .as_str()
            .ok_or_else(|| format!("no browser session: {created}"))?
            .to_string();
        Ok(browser)
    }

    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let body = body.map(|b| b.to_string());
        let reply = request_with(&self.addr, method, path, &self.addr, body.as_deref());
        serde_json::from_slice(&reply.body).unwrap_or(Value::Null)
    }

    fn session_call(&self, method: &str, path: &str, body: Value) -> Value {
        let path = format!("/session/{}{path}", self.session);
        self.call(method, &path, Some(body))
    }

    pub fn goto(&self, url: &str) {
        self.session_call("POST", "/url", json!({ "url": url }));
    }

    /// Runs `script` in the page (`arguments[i]` are `args`) and returns its value.
    pub fn eval(&self, script: &str, args: Value) -> Value {
        let v = self.session_call(
            "POST",
            "/execute/sync",
            json!({ "script": script, "args": args }),
        );
        v["value"].clone()
    }

    /// Waits (up to 20 s) until `script` returns something truthy; returns it.
    pub fn wait(&self, what: &str, script: &str, args: Value) -> Value {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let v = self.eval(script, args.clone());
            let truthy = match &v {
                Value::Null => false,
                Value::Bool(b) => *b,
                Value::String(s) => !s.is_empty(),
                Value::Array(a) => !a.is_empty(),
                _ => true,
            };
            if truthy {
                return v;
            }
            if Instant::now() > deadline {
                let state = self.eval(
                    "return [location.href, document.getElementById('q').value, \
                     document.getElementById('count').textContent, document.activeElement.id];",
                    json!([]),
                );
                panic!("timed out waiting for {what}: {v}; page state {state}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The text of the first element matching `css`, once there is one with `want` in it.
    pub fn wait_text(&self, css: &str, want: &str) -> String {
        let script = "const e = document.querySelector(arguments[0]); \
                      return e && e.textContent.includes(arguments[1]) ? e.textContent : null;";
        self.wait(css, script, json!([css, want]))
            .as_str()
            .unwrap_or("")
            .to_string()
    }

    pub fn text(&self, css: &str) -> String {
        let v = self.eval(
            "const e = document.querySelector(arguments[0]); return e ? e.textContent : null;",
            json!([css]),
        );
        v.as_str().unwrap_or("").to_string()
    }

    fn element(&self, css: &str) -> String {
        let v = self.session_call(
            "POST",
            "/element",
            json!({ "using": "css selector", "value": css }),
        );
        v["value"][ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("no element {css}: {v}"))
            .to_string()
    }

    /// A real click on the first element matching `css`.
    pub fn click(&self, css: &str) {
        let id = self.element(css);
        self.session_call("POST", &format!("/element/{id}/click"), json!({}));
    }

    /// Types `text` into the element (WebDriver focuses it first), key by key.
    pub fn type_into(&self, css: &str, text: &str) {
        let id = self.element(css);
        self.session_call(
            "POST",
            &format!("/element/{id}/value"),
            json!({ "text": text }),
        );
    }

    /// Presses keys on whatever has the focus (WebDriver key codes for special keys).
    pub fn press(&self, keys: &[&str]) {
        let mut actions = Vec::new();
        for key in keys {
            actions.push(json!({"type": "keyDown", "value": key}));
            actions.push(json!({"type": "keyUp", "value": key}));
        }
        self.session_call(
            "POST",
            "/actions",
            json!({"actions": [{"type": "key", "id": "keyboard", "actions": actions}]}),
        );
        self.session_call("DELETE", "/actions", json!({}));
    }

    /// The id of the focused element.
    pub fn focused(&self) -> String {
        self.eval("return document.activeElement.id;", json!([]))
            .as_str()
            .unwrap_or("")
            .to_string()
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let path = format!("/session/{}", self.session);
            let _ = self.call("DELETE", &path, None);
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

const ARROW_DOWN: &str = "\u{E015}";
const ARROW_UP: &str = "\u{E013}";
const ENTER: &str = "\u{E007}";

/// The selected result's term, or "" when none is selected.
fn selected_term(browser: &Browser) -> String {
    browser.text("#results [aria-selected=true] .term")
}

/// One session walks the page as a student would: a bookmarked `?q=`, the A-Z view,
/// typing, the keyboard, a definition and its see-also links, and an edit seen live.
#[test]
fn a_student_searches_browses_and_sees_an_edit_in_headless_chromium() {
    let browser = match Browser::start(1024, 768) {
        Ok(b) => b,
        Err(why) => {
            eprintln!("browser test skipped: {why}");
            return;
        }
    };
    let sandbox = Sandbox::new("everyday");
    let server = Served::start(&sandbox);
    let base = format!("http://{}", server.addr);

    // A bookmarked search: the box is filled and the results are the CLI's.
    browser.goto(&format!("{base}/?q=chunking&mode=define"));
    assert_eq!(browser.wait_text("#hit-0 .term", "Chunking"), "Chunking");
    assert_eq!(browser.text("#hit-0 .where"), "01-rag.md:13");
    assert_eq!(
        browser.eval("return document.getElementById('q').value;", json!([])),
        "chunking"
    );
    assert_eq!(
        browser.text("#hit-0 .path"),
        "Retrieval \u{203a} Preparing documents"
    );

    // The A-Z view, then `/` to focus the box and type with a typo.
    browser.goto(&format!("{base}/"));
    browser.wait_text("#glossary nav.az", "C");
    assert!(browser.text("#letter-e").contains("Embedding"));
    browser.click("#glossary h2");
    assert_ne!(browser.focused(), "q");
    browser.press(&["/"]);
    assert_eq!(browser.focused(), "q");
    browser.press(&["e", "m", "b", "e", "d", "i", "n", "g"]);
    browser.wait_text("#hit-0 .term", "Embedding");
    assert_eq!(browser.text("#hit-1 .snippet mark"), "embedding");
    let url = browser.eval("return location.search;", json!([]));
    assert_eq!(url, "?q=embeding");

    // Arrows move the selection, Enter opens the definition.
    browser.press(&[ARROW_DOWN]);
    assert_eq!(selected_term(&browser), "Embedding");
    browser.press(&[ARROW_DOWN]);
    let second = selected_term(&browser);
    assert_ne!(second, "Embedding");
    browser.press(&[ARROW_UP, ENTER]);
    browser.wait_text("#detail-term .term", "Embedding");
    assert!(browser
        .text("#detail .text")
        .contains("A vector of numbers that represents the meaning"));
    assert_eq!(browser.text("#detail .where"), "02-vectors.md:5");

    // See also: a link to a related term opens its definition.
    let first_link = browser.wait_text(".see-also a", "");
    browser.click(".see-also a");
    browser.wait_text("#detail-term .term", &first_link);
    assert_eq!(browser.text("#detail-term .term"), first_link);

    // An edit appears on the next keystroke, without a restart.
    sandbox.write(
        "03-live.md",
        "# Live\n\n**Zebra crossing**: A striped place to cross the road.\n",
    );
    browser.goto(&format!("{base}/"));
    browser.wait_text("#glossary nav.az", "C");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        browser.eval(
            "const q = document.getElementById('q'); q.value = ''; q.focus();",
            json!([]),
        );
        browser.type_into("#q", "zebra");
        let found = browser.wait(
            "an answer",
            "const c = document.getElementById('count').textContent; \
             return c.includes('result') ? document.getElementById('results').textContent || c : null;",
            json!([]),
        );
        if found.as_str().unwrap_or("").contains("Zebra crossing") {
            break;
        }
        assert!(Instant::now() < deadline, "the edit never showed: {found}");
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(browser.text("#hit-0 .where"), "03-live.md:3");
}

/// At 400 px the page still fits: nothing is wider than the window.
#[test]
fn the_page_fits_a_400_px_window() {
    let browser = match Browser::start(400, 800) {
        Ok(b) => b,
        Err(why) => {
            eprintln!("browser test skipped: {why}");
            return;
        }
    };
    let sandbox = Sandbox::new("everyday");
    let server = Served::start(&sandbox);
    browser.goto(&format!("http://{}/?q=retrieval", server.addr));
    browser.wait_text("#hit-0 .term", "");
    let widths = browser.eval(
        "return [document.documentElement.scrollWidth, window.innerWidth];",
        json!([]),
    );
    assert!(
        widths[0].as_u64() <= widths[1].as_u64(),
        "page wider than the window: {widths}"
    );
}
